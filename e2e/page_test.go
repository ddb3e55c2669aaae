package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A person's whole visit: sign up, come back, log out, log in by email, get things
// wrong, and log in as the demo user.
func TestPage(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)
	const (
		username = "ada-lovelace"
		email    = "ada@example.com"
		pass     = "analytical-engine-1843"
	)

	tb.must("GuestSeesLogInAndSignUp", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if title := eval[string](t, tb, `document.title`); title != "authme" {
			t.Errorf("title = %q", title)
		}
		for _, id := range []string{"login-form", "signup-form", "demo-button"} {
			tb.do(t, chromedp.WaitVisible(chromedp.ID(id)))
		}
		if eval[bool](t, tb, `!document.getElementById("header-user").hidden`) {
			t.Error("the header names a user, but nobody is logged in")
		}
	})

	tb.must("SignUpShowsTheNewUser", func(t *testing.T) {
		tb.fill(t, "signup-username", username)
		tb.fill(t, "signup-email", email)
		tb.fill(t, "signup-password", pass)
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		if got := tb.focused(t); got != "user-heading" {
			t.Errorf("focus is on %q, want the heading that says who is logged in", got)
		}
		tb.waitFor(t, fmt.Sprintf(`document.getElementById("announcer").textContent.includes(%q)`, username))
	})

	tb.must("ReloadKeepsTheSession", func(t *testing.T) {
		tb.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
	})

	tb.must("LogOut", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if got := tb.focused(t); got != "login-heading" {
			t.Errorf("focus is on %q, want the log-in heading", got)
		}
		tb.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	tb.must("LogInByEmailWithTheEnterKey", func(t *testing.T) {
		tb.fill(t, "login-credential", email)
		tb.fill(t, "login-password", pass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	tb.must("WrongPasswordSaysSo", func(t *testing.T) {
		tb.allow("/api/session", 401)
		tb.fill(t, "login-credential", username)
		tb.fill(t, "login-password", "not-the-password")
		tb.do(t, chromedp.Click(chromedp.ID("login-button")))
		tb.waitFor(t, `document.getElementById("login-message").innerText.trim() !== ""`)
		msg := tb.text(t, "login-message")
		if !strings.Contains(msg, "don't match") {
			t.Errorf("message = %q, want one saying the credentials don't match", msg)
		}
		if got := tb.focused(t); got != "login-password" {
			t.Errorf("focus is on %q, want the password field", got)
		}
		if live := eval[string](t, tb, `document.getElementById("login-message").getAttribute("aria-live")`); live == "" {
			t.Error("the log-in message is not a live region")
		}
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	tb.must("DuplicateUsernameSaysSo", func(t *testing.T) {
		tb.allow("/api/users", 409)
		tb.fill(t, "signup-username", username)
		tb.fill(t, "signup-email", "someone.else@example.com")
		tb.fill(t, "signup-password", pass)
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")))
		tb.waitFor(t, `document.getElementById("signup-username").getAttribute("aria-invalid") === "true"`)
		if msg := tb.text(t, "signup-message"); !strings.Contains(msg, "already exists") {
			t.Errorf("message = %q, want one saying the account exists", msg)
		}
		wantFieldError(t, tb, "signup-username", "User with that username already exists")
		if got := tb.focused(t); got != "signup-username" {
			t.Errorf("focus is on %q, want the username field", got)
		}
	})

	tb.must("InvalidFieldsAreMarkedNextToThem", func(t *testing.T) {
		tb.allow("/api/users", 400)
		tb.fill(t, "signup-username", "ab")
		tb.fill(t, "signup-email", "not-an-email")
		tb.fill(t, "signup-password", "short")
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")))
		tb.waitFor(t, `document.getElementById("signup-email").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "signup-username", "4 to 30 characters")
		wantFieldError(t, tb, "signup-email", "valid email")
		wantFieldError(t, tb, "signup-password", "8 to 256 characters")
		if got := tb.focused(t); got != "signup-username" {
			t.Errorf("focus is on %q, want the first field at fault", got)
		}
	})

	tb.must("DemoUserLogsIn", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", "demo@user.io")
		// A successful log-in clears the sign-up form's errors for next time.
		if eval[bool](t, tb, `document.querySelector("[aria-invalid]") !== null`) {
			t.Error("a field is still marked invalid after logging in")
		}
	})
}

// wantUser checks the logged-in view and the header show the user.
func wantUser(t *testing.T, tb *tab, username, email string) {
	t.Helper()
	if got := tb.text(t, "user-username"); got != username {
		t.Errorf("username shown = %q, want %q", got, username)
	}
	if got := tb.text(t, "user-email"); got != email {
		t.Errorf("email shown = %q, want %q", got, email)
	}
	if got := tb.text(t, "user-id"); got == "" {
		t.Error("no user id shown")
	}
	if got := tb.text(t, "header-user-name"); got != username {
		t.Errorf("header shows %q, want %q", got, username)
	}
}

// wantFieldError checks the input with id is marked invalid and describes itself with
// an error containing want.
func wantFieldError(t *testing.T, tb *tab, id, want string) {
	t.Helper()
	if got := eval[string](t, tb, fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-invalid") || ""`, id)); got != "true" {
		t.Errorf("%s: aria-invalid = %q, want true", id, got)
	}
	// The error is read with the field: it is among the ids its aria-describedby names.
	described := eval[string](t, tb, fmt.Sprintf(`(document.getElementById(%q).getAttribute("aria-describedby") || "")
		.split(/\s+/).map((i) => document.getElementById(i)?.textContent || "").join(" | ")`, id))
	if !strings.Contains(described, want) {
		t.Errorf("%s is described by %q, want it to say %q", id, described, want)
	}
	if got := tb.text(t, id+"-error"); !strings.Contains(got, want) {
		t.Errorf("%s's error shows %q, want %q", id, got, want)
	}
}
