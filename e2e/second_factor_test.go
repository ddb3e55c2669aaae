package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// Two-factor authentication end to end, on both databases: the page in Chromium turns it
// on (the QR code renders under the real CSP; the test reads the key off the page, as a
// person types it into an app, and makes the codes the app would), saves the recovery
// codes, logs in with a code and with a recovery code, asks for a code before a change
// of password, makes new recovery codes, and turns it off by keyboard.
func TestSecondFactor(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Run("TurnOnLogInTurnOff", func(t *testing.T) { secondFactorFlow(t, tg) })
			t.Run("AResetLinkAsksForACode", func(t *testing.T) { resetNeedsACode(t, tg) })
		})
	}
}

var (
	groupedKey   = regexp.MustCompile(`^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$`)
	recoveryCode = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){5}$`)
)

func secondFactorFlow(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv := startServerWith(t, serverOptions{target: tg})
	const (
		username = "grace-hopper"
		email    = "grace@example.com"
		pass     = "cobol-compiler-1959"
		newPass  = "a-second-password-2"
	)
	var (
		app   *authenticator
		codes []string
	)

	tb.must("StatusIsOff", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "signup-username", username)
		tb.fill(t, "signup-email", email)
		tb.fill(t, "signup-password", pass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.tabTo(t, "totp-toggle")
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("totp-status")))
		if got := tb.text(t, "totp-status"); !strings.HasPrefix(got, "Off") {
			t.Errorf("the status reads %q", got)
		}
		tb.do(t, chromedp.WaitVisible(chromedp.ID("totp-on")))
		if eval[bool](t, tb, `!document.getElementById("totp-off").hidden`) {
			t.Error(`"Turn off" is offered while it is off`)
		}
	})

	tb.must("TurnOnAsksThePassword", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("totp-on")), chromedp.WaitVisible(chromedp.ID("totp-start-form")))
		if got := tb.focused(t); got != "totp-start-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.allow("/api/users/me/totp", http.StatusBadRequest)
		tb.fill(t, "totp-start-password", "not-my-password\r")
		tb.waitFor(t, `document.getElementById("totp-start-password").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "totp-start-password", auth.MsgCurrentPasswordWrong)
	})

	tb.must("TheQRCodeRendersUnderTheCSP", func(t *testing.T) {
		tb.fill(t, "totp-start-password", pass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("totp-enrol")))
		if got := tb.focused(t); got != "totp-enrol-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		// The image is a data: URI: the CSP allows it (img-src 'self' data:), and the
		// step fails on any violation; naturalWidth says the PNG decoded.
		if src := eval[string](t, tb, `document.getElementById("totp-qr").getAttribute("src")`); !strings.HasPrefix(src, "data:image/png;base64,") {
			t.Errorf("the QR code's src begins %.40q", src)
		}
		tb.waitFor(t, `document.getElementById("totp-qr").complete && document.getElementById("totp-qr").naturalWidth > 0`)
		if alt := eval[string](t, tb, `document.getElementById("totp-qr").alt`); !strings.Contains(alt, "QR code") {
			t.Errorf("the QR code's alt text is %q", alt)
		}
		res, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") || !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("the page's CSP is %q", csp)
		}
		shown := tb.text(t, "totp-secret")
		if !groupedKey.MatchString(shown) {
			t.Fatalf("the key reads %q, want base32 in groups of four", shown)
		}
		app = &authenticator{secret: strings.ReplaceAll(shown, " ", ""), last: -1}
	})

	tb.must("AWrongFirstCodeIsTiedToTheField", func(t *testing.T) {
		tb.allow("/api/users/me/totp/confirm", http.StatusBadRequest)
		tb.fill(t, "totp-confirm-code", app.wrongCode(t)+"\r")
		tb.waitFor(t, `document.getElementById("totp-confirm-code").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "totp-confirm-code", auth.MsgCodeWrong)
		if got := tb.focused(t); got != "totp-confirm-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
	})

	tb.must("TheRightCodeShowsTenRecoveryCodes", func(t *testing.T) {
		tb.fill(t, "totp-confirm-code", app.code(t)+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("totp-codes")))
		if got := tb.focused(t); got != "totp-codes-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		codes = eval[[]string](t, tb, `Array.from(document.querySelectorAll("#totp-codes-list li")).map((li) => li.innerText.trim())`)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes shown, want 10: %q", len(codes), codes)
		}
		for _, c := range codes {
			if !recoveryCode.MatchString(c) {
				t.Errorf("recovery code %q is not 6 groups of 4", c)
			}
		}
		if got := tb.text(t, "totp-status"); !strings.HasPrefix(got, "On") || !strings.Contains(got, "10 recovery codes left") {
			t.Errorf("the status reads %q", got)
		}
		tb.waitFor(t, `document.getElementById("announcer").textContent.includes("Two-factor authentication is on")`)
		// The key has left the page with its step.
		if got := eval[string](t, tb, `document.getElementById("totp-secret").textContent`); got != "" {
			t.Errorf("the key is still on the page: %q", got)
		}
	})

	tb.must("DownloadTheRecoveryCodes", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := chromedp.Call(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		}); err != nil {
			t.Fatal(err)
		}
		// The copy reaches the clipboard.
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := chromedp.Call(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name},
				Setting:    browser.PermissionSettingGranted,
				Origin:     srv.URL,
			}); err != nil {
				t.Fatalf("allow %s: %v", name, err)
			}
		}
		tb.do(t, chromedp.Click(chromedp.ID("totp-codes-copy")))
		wantMessage(t, tb, "totp-codes-message", "The recovery codes are copied.")
		copied, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("read the clipboard: %v", err)
		}
		for _, c := range codes {
			if !strings.Contains(copied, c+"\n") {
				t.Errorf("the clipboard lacks %s:\n%s", c, copied)
			}
		}
		tb.do(t, chromedp.Click(chromedp.ID("totp-codes-download")))
		want := "authme-recovery-codes-" + username + ".txt"
		tb.waitFor(t, fmt.Sprintf(`document.getElementById("totp-codes-message").textContent.includes(%q)`, want))
		text := waitForFile(t, filepath.Join(dir, want), func(b []byte) bool { return strings.Count(string(b), "\n") >= 10 })
		for _, c := range codes {
			if !strings.Contains(text, c+"\n") {
				t.Errorf("the download lacks %s:\n%s", c, text)
			}
		}
	})

	tb.must("SavedLeavesTheCodes", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("totp-codes-done")))
		tb.waitFor(t, `document.getElementById("totp-codes").hidden`)
		if n := eval[int](t, tb, `document.querySelectorAll("#totp-codes-list li").length`); n != 0 {
			t.Errorf("%d codes are still in the page", n)
		}
		if got := tb.focused(t); got != "totp-toggle" {
			t.Errorf("focus is on %q, want the section's toggle", got)
		}
		tb.do(t, chromedp.WaitVisible(chromedp.ID("totp-off")), chromedp.WaitVisible(chromedp.ID("totp-new-codes")))
	})

	tb.must("LogInAsksForACode", func(t *testing.T) {
		logOutAndIn(t, tb, username, pass)
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-second-factor")))
		if got := tb.focused(t); got != "second-factor-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if eval[bool](t, tb, `!document.getElementById("header-user").hidden`) {
			t.Error("the header names a user before the code")
		}
	})

	tb.must("AWrongCodeIsTiedToTheField", func(t *testing.T) {
		tb.allow("/api/session/second-factor", http.StatusUnauthorized)
		tb.tabTo(t, "second-factor-code")
		tb.do(t, chromedp.KeyEvent(app.wrongCode(t)), chromedp.KeyEvent(kb.Enter))
		tb.waitFor(t, `document.getElementById("second-factor-code").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "second-factor-code", auth.MsgCodeWrong)
		if got := tb.focused(t); got != "second-factor-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
	})

	tb.must("TheRightCodeLogsIn", func(t *testing.T) {
		tb.fill(t, "second-factor-code", app.code(t)+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		if got := tb.focused(t); got != "user-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-user")))
	})

	tb.must("ARecoveryCodeLogsInAndSaysHowManyAreLeft", func(t *testing.T) {
		logOutAndIn(t, tb, username, pass)
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-second-factor")))
		tb.tabTo(t, "second-factor-proof-switch")
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("second-factor-recovery")))
		if got := tb.focused(t); got != "second-factor-recovery" {
			t.Errorf("focus is on %q, want the recovery-code field", got)
		}
		// Typed as a person might copy it: capitals, no dashes.
		typed := strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))
		tb.do(t, chromedp.KeyEvent(typed), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		tb.waitFor(t, `document.getElementById("announcer").textContent.includes("You have 9 recovery codes left.")`)
		if got := tb.text(t, "account-notice"); !strings.Contains(got, "9 recovery codes left") {
			t.Errorf("the account says %q", got)
		}
	})

	tb.must("ARecoveryCodeWorksOnce", func(t *testing.T) {
		logOutAndIn(t, tb, username, pass)
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-second-factor")))
		tb.do(t, chromedp.Click(chromedp.ID("second-factor-proof-switch")))
		tb.allow("/api/session/second-factor", http.StatusUnauthorized)
		tb.fill(t, "second-factor-recovery", codes[0]+"\r")
		tb.waitFor(t, `document.getElementById("second-factor-recovery").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "second-factor-recovery", auth.MsgRecoveryWrong)
		tb.fill(t, "second-factor-recovery", codes[1]+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.waitFor(t, `document.getElementById("announcer").textContent.includes("You have 8 recovery codes left.")`)
	})

	tb.must("AChangeOfPasswordAsksForACode", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("password-toggle")))
		tb.allow("/api/users/me/password", http.StatusBadRequest)
		tb.fill(t, "password-current", pass)
		tb.fill(t, "password-new", newPass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("password-code")))
		wantFieldError(t, tb, "password-code", auth.MsgCodeRequired)
		if got := tb.focused(t); got != "password-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
		// A recovery code does as well as one from the app.
		tb.do(t, chromedp.Click(chromedp.ID("password-proof-switch")))
		tb.fill(t, "password-recovery", codes[2]+"\r")
		tb.waitFor(t, `document.querySelector("#password-message .notice-success") !== null`)
		tb.do(t, chromedp.Click(chromedp.ID("password-toggle")))
	})

	tb.must("NewRecoveryCodesReplaceTheOld", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("totp-toggle")), chromedp.WaitVisible(chromedp.ID("totp-new-codes")))
		if got := tb.text(t, "totp-status"); !strings.Contains(got, "7 recovery codes left") {
			t.Errorf("the status reads %q", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("totp-new-codes")), chromedp.WaitVisible(chromedp.ID("totp-check-form")))
		if got := tb.focused(t); got != "totp-check-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if got := tb.text(t, "totp-check-heading"); got != "Make new recovery codes" {
			t.Errorf("the heading says %q", got)
		}
		tb.fill(t, "totp-check-password", newPass)
		tb.do(t, chromedp.Click(chromedp.ID("totp-check-proof-switch")))
		tb.fill(t, "totp-check-recovery", codes[3]+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("totp-codes")))
		if got := tb.focused(t); got != "totp-codes-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		fresh := eval[[]string](t, tb, `Array.from(document.querySelectorAll("#totp-codes-list li")).map((li) => li.innerText.trim())`)
		if len(fresh) != 10 {
			t.Fatalf("%d new recovery codes shown, want 10", len(fresh))
		}
		for _, c := range fresh {
			if slices.Contains(codes, c) {
				t.Errorf("the new code %s is an old one", c)
			}
		}
		codes = fresh
		if got := tb.text(t, "totp-status"); !strings.Contains(got, "10 recovery codes left") {
			t.Errorf("the status reads %q", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("totp-codes-done")))
		tb.waitFor(t, `document.getElementById("totp-codes").hidden`)
	})

	tb.must("TurnOffByKeyboardWithARecoveryCode", func(t *testing.T) {
		tb.tabTo(t, "totp-toggle")
		// Open (or reopen), so the status is read again.
		if eval[string](t, tb, `document.getElementById("totp-toggle").getAttribute("aria-expanded")`) == "true" {
			tb.do(t, chromedp.KeyEvent(kb.Enter))
		}
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("totp-off")))
		if got := tb.text(t, "totp-status"); !strings.Contains(got, "10 recovery codes left") {
			t.Errorf("the status reads %q", got)
		}
		tb.tabTo(t, "totp-off")
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("totp-check-form")))
		if got := tb.focused(t); got != "totp-check-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.tabTo(t, "totp-check-password")
		tb.do(t, chromedp.KeyEvent(newPass))
		tb.tabTo(t, "totp-check-proof-switch")
		tb.do(t, chromedp.KeyEvent(kb.Enter))
		if got := tb.focused(t); got != "totp-check-recovery" {
			t.Fatalf("focus is on %q, want the recovery-code field", got)
		}
		tb.do(t, chromedp.KeyEvent(codes[0]), chromedp.KeyEvent(kb.Enter))
		tb.waitFor(t, `document.querySelector("#totp-message .notice-success") !== null`)
		if got := tb.text(t, "totp-status"); !strings.HasPrefix(got, "Off") {
			t.Errorf("the status reads %q", got)
		}
		if got := tb.focused(t); got != "totp-toggle" {
			t.Errorf("focus is on %q, want the section's toggle", got)
		}
		tb.waitFor(t, `document.getElementById("announcer").textContent === "Two-factor authentication is off."`)
	})

	tb.must("RecentActivityTellsWhatHappened", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("activity-toggle")))
		tb.waitFor(t, `document.querySelectorAll("#activity-list li").length > 0`)
		all := eval[string](t, tb, `document.getElementById("activity-list").innerText`)
		for _, want := range []string{
			"Two-factor authentication turned off", "New recovery codes made", "Password changed", "Logged in with a recovery code",
			"Wrong recovery code", "Recovery code used (8 left)", "Logged in with a code from the app", "Wrong code from the app",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("the activity lacks %q:\n%s", want, all)
			}
		}
		tb.do(t, chromedp.Click(chromedp.ID("activity-toggle")))
	})

	tb.must("LogInTakesOnlyThePasswordAgain", func(t *testing.T) {
		logOutAndIn(t, tb, username, newPass)
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
	})
}

// resetNeedsACode follows a reset link for an account with two-factor authentication,
// turned on through the API: the link alone does not reset the password, the page asks
// for a code beside the new password, refuses a wrong one and resets with the right one.
func resetNeedsACode(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv, mp := startMailServer(t, tg)
	const (
		username = "ada-lovelace"
		email    = "ada@example.com"
		pass     = "analytical-engine-1843"
		newPass  = "difference-engine-1822"
	)
	var app *authenticator
	var link string

	tb.must("TurnOnThroughTheAPI", func(t *testing.T) {
		c := newAPIClient(t, srv.URL)
		if status := c.send(t, "POST", "/api/users", map[string]string{"username": username, "email": email, "password": pass}); status != http.StatusCreated {
			t.Fatalf("sign up: %d", status)
		}
		status, body := c.exchange(t, "POST", "/api/users/me/totp", map[string]string{"password": pass})
		var key struct{ Secret string }
		if err := json.Unmarshal(body, &key); status != http.StatusOK || err != nil || key.Secret == "" {
			t.Fatalf("begin: %d %s", status, body)
		}
		app = &authenticator{secret: key.Secret, last: -1}
		if status, body := c.exchange(t, "POST", "/api/users/me/totp/confirm", map[string]string{"code": app.code(t)}); status != http.StatusOK {
			t.Fatalf("confirm: %d %s", status, body)
		}
		// The sign-up's confirmation link, then the notice: both claimed, so the next
		// mail is the reset link.
		for _, subject := range []string{"", "Two-factor authentication is on"} {
			if m := mp.WaitFor(t, email, mailTimeout); subject != "" && m.Subject != subject {
				t.Errorf("mail %q, want %q", m.Subject, subject)
			}
		}
	})

	tb.must("AskForAResetLink", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.do(t, chromedp.Click(chromedp.ID("forgot-open")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		tb.fill(t, "forgot-email", email+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		link = mailLink(t, mp.WaitFor(t, email, mailTimeout), srv.URL+"/reset-password#token=")
	})

	tb.must("TheLinkAsksForACode", func(t *testing.T) {
		tb.allow("/api/password-reset/confirm", http.StatusBadRequest)
		tb.do(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("view-reset")))
		tb.fill(t, "reset-password", newPass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("reset-code")))
		wantFieldError(t, tb, "reset-code", auth.MsgResetNeedsCode)
		if got := tb.focused(t); got != "reset-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
	})

	tb.must("AWrongCodeIsRefused", func(t *testing.T) {
		tb.allow("/api/password-reset/confirm", http.StatusBadRequest)
		tb.fill(t, "reset-code", app.wrongCode(t)+"\r")
		tb.waitFor(t, `document.getElementById("reset-code").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "reset-code", auth.MsgCodeWrong)
		if eval[bool](t, tb, `document.getElementById("view-reset").hidden`) {
			t.Error("the link stopped working after a wrong code")
		}
	})

	tb.must("TheRightCodeResets", func(t *testing.T) {
		tb.fill(t, "reset-code", app.code(t)+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		// The new password works, and the second factor stays on.
		logOutAndIn(t, tb, username, newPass)
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-second-factor")))
	})
}

// logOutAndIn logs out and submits the log-in form with credential and password.
func logOutAndIn(t *testing.T, tb *tab, credential, password string) {
	t.Helper()
	tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	tb.fill(t, "login-credential", credential)
	tb.fill(t, "login-password", password+"\r")
}

// authenticator is the app on a person's phone: it makes the codes for a key. The
// server accepts each 30-second step once, so it remembers the last step it used.
type authenticator struct {
	secret string
	last   int64
}

const period = 30 * time.Second

func step(at time.Time) int64 { return at.Unix() / int64(period/time.Second) }

// code returns a code the server accepts now and has not accepted before: for this step
// or, when that one is used, the next (the server allows one step of skew), waiting for
// the clock to move on when both are used.
func (a *authenticator) code(t *testing.T) string {
	t.Helper()
	for {
		now := time.Now()
		for _, at := range []time.Time{now, now.Add(period)} {
			if step(at) <= a.last {
				continue
			}
			code, err := totp.GenerateCode(a.secret, at)
			if err != nil {
				t.Fatalf("make a code: %v", err)
			}
			a.last = step(at)
			return code
		}
		time.Sleep(time.Until(time.Unix((step(now)+1)*int64(period/time.Second), 0)))
	}
}

// wrongCode returns six digits that are no code of the steps the server accepts now.
func (a *authenticator) wrongCode(t *testing.T) string {
	t.Helper()
	now := time.Now()
	var right []string
	for _, d := range []time.Duration{-2 * period, -period, 0, period, 2 * period} {
		c, err := totp.GenerateCode(a.secret, now.Add(d))
		if err != nil {
			t.Fatalf("make a code: %v", err)
		}
		right = append(right, c)
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n*7919%1000000); !slices.Contains(right, c) {
			return c
		}
	}
}

// waitForFile waits until the file at path exists and done says it is complete, and
// returns its text.
func waitForFile(t *testing.T, path string, done func([]byte) bool) string {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && done(b) {
			return string(b)
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("no complete download at %s (%v); the folder holds %v", path, err, entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
