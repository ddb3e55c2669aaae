package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// When the network or the server fails, the page says what happened and how to go
// on; it never goes blank, and a button can't send the same thing twice.
func TestPageFailures(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)
	f := srv.faults

	tb.must("SessionRestoreOfflineCanBeRetried", func(t *testing.T) {
		tb.allow("/api/session", 0)
		f.set("GET /api/session", fault{drop: true})
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-unreachable")))
		if msg := tb.text(t, "unreachable-message"); !strings.Contains(msg, "couldn't reach authme") {
			t.Errorf("message = %q, want one saying authme could not be reached", msg)
		}
		if got := tb.focused(t); got != "unreachable-heading" {
			t.Errorf("focus is on %q, want the heading that says what happened", got)
		}
		f.clear("GET /api/session")
		tb.do(t, chromedp.Click(chromedp.ID("retry-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	tb.must("ServerErrorOnLogInCanBeRetried", func(t *testing.T) {
		tb.allow("/api/session", 500)
		f.set("POST /api/session", fault{status: http.StatusInternalServerError, body: `{"message":"Internal Server Error"}`})
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")))
		wantMessage(t, tb, "login-message", "Something went wrong on our side. Try again in a moment.")
		f.clear("POST /api/session")
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	tb.must("TooManyAttemptsSaysHowLongToWait", func(t *testing.T) {
		tb.allow("/api/session", 429)
		f.set("POST /api/session", fault{status: http.StatusTooManyRequests,
			header: http.Header{"Retry-After": {"30"}}, body: `{"message":"Too many attempts, try again later"}`})
		defer f.clear("POST /api/session")
		tb.fill(t, "login-credential", "Demo-lition")
		tb.fill(t, "login-password", "password")
		tb.do(t, chromedp.Click(chromedp.ID("login-button")))
		wantMessage(t, tb, "login-message", "Too many attempts. Try again in 30 seconds.")
	})

	tb.must("ServiceUnavailableOnSignUpSaysTryAgain", func(t *testing.T) {
		tb.allow("/api/users", 503)
		f.set("POST /api/users", fault{status: http.StatusServiceUnavailable, body: `{"message":"Service Unavailable"}`})
		defer f.clear("POST /api/users")
		tb.fill(t, "signup-username", "grace-hopper")
		tb.fill(t, "signup-email", "grace@example.com")
		tb.fill(t, "signup-password", "cobol-compiler-1959")
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")))
		wantMessage(t, tb, "signup-message", "authme is unavailable right now. Try again in a moment.")
	})

	tb.must("NetworkFailureOnSignUpSaysTryAgain", func(t *testing.T) {
		tb.allow("/api/users", 0)
		f.set("POST /api/users", fault{drop: true})
		defer f.clear("POST /api/users")
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")))
		wantMessage(t, tb, "signup-message", "We couldn't reach authme. Check your connection, then try again.")
	})

	tb.must("BusyButtonShowsWorkAndCannotDoubleSubmit", func(t *testing.T) {
		hold := make(chan struct{})
		f.set("POST /api/users", fault{hold: hold})
		before, logins := f.count("POST /api/users"), f.count("POST /api/session")
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")))
		tb.waitFor(t, `document.getElementById("signup-button").classList.contains("is-busy")`)
		if got := tb.text(t, "signup-button"); got != "Creating account…" {
			t.Errorf("busy button says %q", got)
		}
		for _, id := range []string{"signup-button", "login-button", "demo-button"} {
			if got := eval[string](t, tb, `document.getElementById("`+id+`").getAttribute("aria-disabled") || ""`); got != "true" {
				t.Errorf("%s: aria-disabled = %q while a request runs", id, got)
			}
		}
		// A second click, Enter in a field and the demo button all do nothing now.
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")), chromedp.Click(chromedp.ID("demo-button")))
		tb.do(t, chromedp.SendKeys(chromedp.ID("signup-password"), "\r"))
		f.clear("POST /api/users") // closes hold: the first request goes on
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "grace-hopper", "grace@example.com")
		if n := f.count("POST /api/users") - before; n != 1 {
			t.Errorf("the page sent %d sign-up requests, want 1", n)
		}
		if n := f.count("POST /api/session") - logins; n != 0 {
			t.Errorf("the disabled demo button sent %d log-in requests", n)
		}
		// The button is hidden with the form now, and back to its idle label.
		if got := eval[string](t, tb, `document.getElementById("signup-button").textContent.trim()`); got != "Sign up" {
			t.Errorf("the button still says %q", got)
		}
	})

	tb.must("MissingXSRFCookieIsRestoredBeforeUnsafeRequests", func(t *testing.T) {
		eval[chromedp.Void](t, tb, `document.cookie = "XSRF-TOKEN=; Max-Age=0; Path=/"`)
		before := f.count("GET /api/csrf/restore")
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if n := f.count("GET /api/csrf/restore") - before; n != 1 {
			t.Errorf("GET /api/csrf/restore was called %d times, want 1", n)
		}
		if eval[bool](t, tb, `document.cookie.includes("XSRF-TOKEN=")`) == false {
			t.Error("no XSRF-TOKEN cookie after the restore")
		}
	})

	tb.must("LogOutFailureKeepsTheUserAndSaysTryAgain", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.allow("/api/session", 502)
		f.set("DELETE /api/session", fault{status: http.StatusBadGateway, body: `{}`})
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")))
		wantMessage(t, tb, "logout-message", "Something went wrong on our side. Try again in a moment.")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		f.clear("DELETE /api/session")
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})
}

// wantMessage waits for the live region with id to say want.
func wantMessage(t *testing.T, tb *tab, id, want string) {
	t.Helper()
	tb.waitFor(t, `document.getElementById("`+id+`").innerText.trim() !== ""`)
	if got := tb.text(t, id); got != want {
		t.Errorf("%s says %q, want %q", id, got, want)
	}
}
