package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The account's sections, driven in Chromium against the real API: recent activity,
// devices (end one, end all others), a change of password, the download of the data and
// the deletion of the account. The log-in and the first look at the activity are by
// keyboard only.
func TestAccountPage(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)
	const (
		username = "account-owner"
		email    = "owner@example.com"
		pass     = "first-password-1"
		newPass  = "second-password-2"
	)
	// other is a second device: a Go client with its own cookies.
	other := newAPIClient(t, srv.URL)
	if status := other.send(t, "POST", "/api/users", map[string]string{"username": username, "email": email, "password": pass}); status != http.StatusCreated {
		t.Fatalf("sign up through the API: %d, want 201", status)
	}

	// Three wrong passwords from elsewhere: one aggregated row, written at once by Sync.
	guesser := newAPIClient(t, srv.URL)
	for range 3 {
		if status := guesser.send(t, "POST", "/api/session", map[string]string{"credential": username, "password": "wrong-guess"}); status != http.StatusUnauthorized {
			t.Fatalf("wrong password through the API: %d, want 401", status)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := srv.failures.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	tb.must("LogInByKeyboard", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		eval[chromedp.Void](t, tb, `document.activeElement.blur()`)
		tb.tabTo(t, "login-credential")
		tb.do(t, chromedp.KeyEvent(username))
		tb.tabTo(t, "login-password")
		tb.do(t, chromedp.KeyEvent(pass), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-user")))
		if got := tb.focused(t); got != "user-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
	})

	tb.must("RecentActivityShowsTheLogInByKeyboard", func(t *testing.T) {
		tb.tabTo(t, "activity-toggle")
		tb.do(t, chromedp.KeyEvent(kb.Enter))
		tb.waitFor(t, `document.querySelectorAll("#activity-list li").length > 0`)
		if got := eval[string](t, tb, `document.getElementById("activity-toggle").getAttribute("aria-expanded")`); got != "true" {
			t.Errorf("aria-expanded = %q after opening", got)
		}
		first := eval[string](t, tb, `document.querySelector("#activity-list li").innerText`)
		if !strings.Contains(first, "Logged in") || !strings.Contains(first, "This device") {
			t.Errorf("the newest event reads %q, want this device's log-in", first)
		}
		if n := eval[int](t, tb, `document.querySelectorAll("#activity-list li time[datetime]").length`); n == 0 {
			t.Error("the events' times are not <time datetime>")
		}
		all := eval[string](t, tb, `document.getElementById("activity-list").innerText`)
		for _, want := range []string{"Account created", "Failed log-in ×3"} {
			if !strings.Contains(all, want) {
				t.Errorf("the activity lacks %q:\n%s", want, all)
			}
		}
		// Enter again closes it.
		tb.do(t, chromedp.KeyEvent(kb.Enter))
		if !eval[bool](t, tb, `document.getElementById("activity-body").hidden`) {
			t.Error("the section stays open after a second Enter")
		}
	})

	tb.must("EndAnotherSession", func(t *testing.T) {
		id := other.currentSession(t)
		tb.do(t, chromedp.Click(chromedp.ID("devices-toggle")))
		tb.waitFor(t, `document.querySelectorAll("#devices-list li").length === 2`)
		list := tb.text(t, "devices-list")
		if !strings.Contains(list, "This device") || !strings.Contains(list, "Go-http-client") {
			t.Errorf("the devices read:\n%s", list)
		}
		if !strings.Contains(list, "Headless Chrome on Linux") {
			t.Errorf("this browser is not described in words:\n%s", list)
		}
		tb.do(t, chromedp.Click(chromedp.ID("end-"+id)))
		tb.waitFor(t, fmt.Sprintf(`!document.getElementById(%q) && document.querySelectorAll("#devices-list li").length === 1`, "end-"+id))
		if got := tb.text(t, "devices-message"); !strings.Contains(got, "Go-http-client has ended") {
			t.Errorf("message = %q", got)
		}
		if other.loggedIn(t) {
			t.Error("the ended session still restores")
		}
	})

	tb.must("EndAllOtherSessions", func(t *testing.T) {
		// 21 more devices: also more events than one page of activity holds.
		var device *apiClient
		for range 21 {
			device = newAPIClient(t, srv.URL)
			if status := device.send(t, "POST", "/api/session", map[string]string{"credential": username, "password": pass}); status != http.StatusOK {
				t.Fatalf("log in through the API: %d", status)
			}
		}
		// Close and reopen: the list is read again.
		tb.do(t, chromedp.Click(chromedp.ID("devices-toggle")), chromedp.Click(chromedp.ID("devices-toggle")))
		tb.waitFor(t, `document.querySelectorAll("#devices-list li").length === 22`)
		others := eval[int](t, tb, `document.querySelectorAll("#devices-list li").length`) - 1
		tb.do(t, chromedp.Click(chromedp.ID("devices-end-others")))
		tb.waitFor(t, `document.querySelectorAll("#devices-list li").length === 1`)
		want := fmt.Sprintf("Ended %d other sessions.", others)
		if got := tb.text(t, "devices-message"); got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
		tb.waitFor(t, fmt.Sprintf(`document.getElementById("announcer").textContent === %q`, want))
		if !eval[bool](t, tb, `document.getElementById("devices-end-others").hidden`) {
			t.Error(`"End all other sessions" is still offered with no other session`)
		}
		if device.loggedIn(t) {
			t.Error("another device is still logged in")
		}
	})

	tb.must("ShowMoreActivity", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("activity-toggle")))
		tb.waitFor(t, `document.querySelectorAll("#activity-list li").length === 20`)
		tb.do(t, chromedp.WaitVisible(chromedp.ID("activity-more")), chromedp.Click(chromedp.ID("activity-more")))
		tb.waitFor(t, `document.querySelectorAll("#activity-list li").length > 20`)
		if got := eval[int](t, tb, `Array.from(document.querySelectorAll("#activity-list li")).indexOf(document.activeElement)`); got != 20 {
			t.Errorf("focus is on event %d, want the first new one (20)", got)
		}
		// The second page holds the older events: the session ended from this page.
		if all := eval[string](t, tb, `document.getElementById("activity-list").innerText`); !strings.Contains(all, "Ended a session") {
			t.Errorf("the activity lacks the session ended:\n%s", all)
		}
		tb.do(t, chromedp.Click(chromedp.ID("activity-toggle")))
	})

	tb.must("ChangePassword", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("password-toggle")))
		if got := tb.focused(t); got != "password-current" {
			t.Errorf("focus is on %q, want the first field", got)
		}
		tb.allow("/api/users/me/password", http.StatusBadRequest)
		tb.fill(t, "password-current", "not-my-password")
		tb.fill(t, "password-new", newPass+"\r")
		tb.waitFor(t, `document.getElementById("password-current").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "password-current", "incorrect")
		tb.fill(t, "password-current", pass)
		tb.fill(t, "password-new", newPass)
		tb.do(t, chromedp.Click(chromedp.ID("password-button")))
		tb.waitFor(t, `document.querySelector("#password-message .notice-success") !== null`)
		tb.waitFor(t, `document.getElementById("announcer").textContent === "Your password is changed."`)
		// The session goes on.
		tb.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "login-credential", username)
		tb.fill(t, "login-password", newPass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
	})

	tb.must("SessionEndedElsewhereLeadsToLogIn", func(t *testing.T) {
		elsewhere := newAPIClient(t, srv.URL)
		if status := elsewhere.send(t, "POST", "/api/session", map[string]string{"credential": username, "password": newPass}); status != http.StatusOK {
			t.Fatalf("log in through the API: %d", status)
		}
		if status := elsewhere.send(t, "DELETE", "/api/sessions", nil); status != http.StatusOK {
			t.Fatalf("end the others through the API: %d", status)
		}
		tb.allow("/api/sessions", http.StatusUnauthorized)
		tb.do(t, chromedp.Click(chromedp.ID("devices-toggle")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if got := tb.text(t, "login-message"); !strings.Contains(got, "session has ended") {
			t.Errorf("the log-in card says %q", got)
		}
		tb.fill(t, "login-credential", username)
		tb.fill(t, "login-password", newPass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
	})

	tb.must("DownloadMyData", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := chromedp.Call(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		}); err != nil {
			t.Fatal(err)
		}
		tb.do(t, chromedp.Click(chromedp.ID("export-toggle")), chromedp.Click(chromedp.ID("export-button")))
		want := "authme-export-" + username + ".json"
		tb.waitFor(t, fmt.Sprintf(`document.getElementById("export-message").textContent.includes(%q)`, want))
		path := filepath.Join(dir, want)
		var b []byte
		for deadline := time.Now().Add(stepTimeout); ; {
			var err error
			if b, err = os.ReadFile(path); err == nil && json.Valid(b) {
				break
			}
			if time.Now().After(deadline) {
				entries, _ := os.ReadDir(dir)
				t.Fatalf("no download at %s (%v); the folder holds %v", path, err, entries)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var export struct {
			Account struct{ Username, Email string }
			Events  []json.RawMessage
		}
		if err := json.Unmarshal(b, &export); err != nil {
			t.Fatal(err)
		}
		if export.Account.Username != username || export.Account.Email != email || len(export.Events) == 0 {
			t.Errorf("the download holds %+v with %d events", export.Account, len(export.Events))
		}
	})

	tb.must("DeleteRefusedWhileOtherDataRefersToIt", func(t *testing.T) {
		const msg = "Other data in this database still refers to this account; delete it there first."
		srv.faults.set("DELETE /api/users/me", fault{status: http.StatusConflict, body: `{"message":"` + msg + `"}`})
		defer srv.faults.clear("DELETE /api/users/me")
		tb.allow("/api/users/me", http.StatusConflict)
		tb.do(t, chromedp.Click(chromedp.ID("delete-toggle")))
		tb.fill(t, "delete-password", newPass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("delete-confirm")))
		if got := tb.focused(t); got != "delete-confirm-text" {
			t.Errorf("focus is on %q, want the question", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("delete-yes")))
		tb.waitFor(t, `document.getElementById("delete-message").textContent !== ""`)
		if got := tb.text(t, "delete-message"); got != msg {
			t.Errorf("message = %q, want %q", got, msg)
		}
	})

	tb.must("DeleteMyAccount", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("delete-button")), chromedp.WaitVisible(chromedp.ID("delete-confirm")))
		if got := tb.text(t, "delete-confirm-name"); got != username {
			t.Errorf("the question names %q", got)
		}
		// Cancel goes back to the first step, with nothing deleted.
		tb.do(t, chromedp.Click(chromedp.ID("delete-cancel")))
		if !eval[bool](t, tb, `document.getElementById("delete-confirm").hidden`) {
			t.Error("the question stays after Cancel")
		}
		tb.do(t, chromedp.Click(chromedp.ID("delete-button")), chromedp.WaitVisible(chromedp.ID("delete-confirm")),
			chromedp.Click(chromedp.ID("delete-yes")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if got := tb.text(t, "login-message"); !strings.Contains(got, "deleted") {
			t.Errorf("the guest view says %q", got)
		}
		if got := tb.focused(t); got != "login-heading" {
			t.Errorf("focus is on %q, want the log-in heading", got)
		}
		fresh := newAPIClient(t, srv.URL)
		if status := fresh.send(t, "POST", "/api/session", map[string]string{"credential": username, "password": newPass}); status != http.StatusUnauthorized {
			t.Errorf("log-in after the deletion: %d, want 401", status)
		}
		if status := fresh.send(t, "POST", "/api/users", map[string]string{"username": username, "email": email, "password": pass}); status != http.StatusCreated {
			t.Errorf("sign-up with the freed name: %d, want 201", status)
		}
	})
}

// apiClient is a device that uses the API directly, with its own cookies.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(t *testing.T, base string) *apiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{base: base, http: &http.Client{Jar: jar, Timeout: stepTimeout}}
}

// send makes one request with the CSRF token, fetched first if the client has none,
// and returns its status.
func (c *apiClient) send(t *testing.T, method, path string, body any) int {
	t.Helper()
	status, _ := c.exchange(t, method, path, body)
	return status
}

func (c *apiClient) exchange(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	token := c.csrf(t)
	var reader *strings.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = strings.NewReader(string(b))
	} else {
		reader = strings.NewReader("")
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("XSRF-Token", token)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out json.RawMessage
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (c *apiClient) csrf(t *testing.T) string {
	t.Helper()
	for _, ck := range c.http.Jar.Cookies(mustURL(t, c.base)) {
		if ck.Name == "XSRF-TOKEN" {
			return ck.Value
		}
	}
	res, err := c.http.Get(c.base + "/api/csrf/restore")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, ck := range c.http.Jar.Cookies(mustURL(t, c.base)) {
		if ck.Name == "XSRF-TOKEN" {
			return ck.Value
		}
	}
	t.Fatal("no XSRF-TOKEN cookie from /api/csrf/restore")
	return ""
}

// currentSession returns the id of the client's own session.
func (c *apiClient) currentSession(t *testing.T) string {
	t.Helper()
	status, body := c.exchange(t, "GET", "/api/sessions", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/sessions: %d", status)
	}
	var list struct {
		Sessions []struct {
			ID      string
			Current bool
		}
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Sessions {
		if s.Current {
			return s.ID
		}
	}
	t.Fatal("no current session")
	return ""
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// loggedIn reports whether the client's session still restores.
func (c *apiClient) loggedIn(t *testing.T) bool {
	t.Helper()
	_, body := c.exchange(t, "GET", "/api/session", nil)
	return !regexp.MustCompile(`"user"\s*:\s*null`).Match(body)
}
