package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"authme/internal/auth"
)

// The page's side of two-factor authentication, with the API's answers made up by
// faults where the real API is hard to bring there: an attempt that expires, a code
// asked for by each form that changes something sensitive, and what the page sends
// then. The flows through the real API are in second_factor_test.go.
func TestSecondFactorPages(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)
	f := srv.faults
	const (
		pending = `{"user":null,"secondFactor":{"methods":["totp","recoveryCode"],"expiresAt":"2030-01-01T00:00:00Z"}}`
		demo    = `{"user":{"id":1,"username":"Demo-lition","email":"demo@user.io"},"emailVerifiedAt":null}`
		askCode = `{"message":"Bad request","errors":{"code":"` + auth.MsgCodeRequired + `"}}`
	)
	loggedInWithCode := strings.TrimSuffix(demo, "}") + `,"recoveryCodesRemaining":2}`

	tb.must("TheRightPasswordAsksForACode", func(t *testing.T) {
		f.set("POST /api/session", fault{status: http.StatusAccepted, body: pending})
		defer f.clear("POST /api/session")
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-second-factor")))
		if got := tb.focused(t); got != "second-factor-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		for attr, want := range map[string]string{"inputmode": "numeric", "autocomplete": "one-time-code", "name": "code"} {
			if got := eval[string](t, tb, `document.getElementById("second-factor-code").getAttribute("`+attr+`")`); got != want {
				t.Errorf("the code field's %s = %q, want %q", attr, got, want)
			}
		}
		if eval[bool](t, tb, `!document.getElementById("header-user").hidden`) {
			t.Error("the header names a user before the code")
		}
	})

	tb.must("AWrongCodeIsTiedToTheField", func(t *testing.T) {
		tb.allow("/api/session/second-factor", http.StatusUnauthorized)
		f.set("POST /api/session/second-factor", fault{status: http.StatusUnauthorized,
			body: `{"message":"` + auth.MsgInvalidCode + `","errors":{"code":"` + auth.MsgCodeWrong + `"}}`})
		defer f.clear("POST /api/session/second-factor")
		tb.fill(t, "second-factor-code", "123 456\r")
		tb.waitFor(t, `document.getElementById("second-factor-code").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "second-factor-code", auth.MsgCodeWrong)
		if got := tb.focused(t); got != "second-factor-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
		wantBody(t, f, "POST /api/session/second-factor", map[string]string{"code": "123 456"})
	})

	tb.must("ARecoveryCodeInsteadSaysHowManyAreLeft", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("second-factor-proof-switch")), chromedp.WaitVisible(chromedp.ID("second-factor-recovery")))
		if got := tb.focused(t); got != "second-factor-recovery" {
			t.Errorf("focus is on %q, want the recovery-code field", got)
		}
		if got := tb.text(t, "second-factor-proof-switch"); got != "Use a code from your app instead" {
			t.Errorf("the switch says %q", got)
		}
		if eval[bool](t, tb, `document.getElementById("second-factor-code").getClientRects().length > 0`) {
			t.Error("the code field is still shown beside the recovery-code field")
		}
		f.set("POST /api/session/second-factor", fault{status: http.StatusOK, body: loggedInWithCode})
		defer f.clear("POST /api/session/second-factor")
		tb.fill(t, "second-factor-recovery", "ABCD-efgh-ijkl-mnop-qrst-uvwx\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantBody(t, f, "POST /api/session/second-factor", map[string]string{"recoveryCode": "ABCD-efgh-ijkl-mnop-qrst-uvwx"})
		if got := tb.focused(t); got != "user-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.waitFor(t, `document.getElementById("announcer").textContent.includes("You have 2 recovery codes left")`)
		if got := tb.text(t, "account-notice"); !strings.Contains(got, "2 recovery codes left") || !strings.Contains(got, "Make new ones") {
			t.Errorf("the account says %q", got)
		}
	})

	tb.must("TheFifthWrongCodeGoesBackToLogIn", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		f.set("POST /api/session", fault{status: http.StatusAccepted, body: pending})
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-second-factor")))
		f.clear("POST /api/session")
		// The field is back to a code, and empty, for the new attempt.
		if got := eval[string](t, tb, `document.getElementById("second-factor-code").value`); got != "" {
			t.Errorf("the code field holds %q", got)
		}
		tb.allow("/api/session/second-factor", http.StatusUnauthorized)
		// The attempt has ended: that matters more than the code's own error beside it.
		f.set("POST /api/session/second-factor", fault{status: http.StatusUnauthorized,
			body: `{"message":"` + auth.MsgAttemptEnded + `","errors":{"attempt":"` + auth.MsgAttemptEnded + `","code":"` + auth.MsgCodeWrong + `"}}`})
		defer f.clear("POST /api/session/second-factor")
		tb.fill(t, "second-factor-code", "123456\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-guest")))
		wantMessage(t, tb, "login-message", auth.MsgAttemptEnded)
		if got := tb.focused(t); got != "login-password" {
			t.Errorf("focus is on %q, want the password field", got)
		}
	})

	tb.must("AChangeOfPasswordAsksForACode", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.do(t, chromedp.Click(chromedp.ID("password-toggle")))
		if eval[bool](t, tb, `!document.getElementById("password-proof").hidden`) {
			t.Error("the code field shows before the server asks for it")
		}
		tb.allow("/api/users/me/password", http.StatusBadRequest)
		f.set("PUT /api/users/me/password", fault{status: http.StatusBadRequest, body: askCode})
		tb.fill(t, "password-current", "password")
		tb.fill(t, "password-new", "a-brand-new-password\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("password-code")))
		wantFieldError(t, tb, "password-code", auth.MsgCodeRequired)
		if got := tb.focused(t); got != "password-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
		// The real server ignores the code for an account without two-factor authentication.
		f.clear("PUT /api/users/me/password")
		tb.fill(t, "password-code", "654321\r")
		tb.waitFor(t, `document.querySelector("#password-message .notice-success") !== null`)
		wantBody(t, f, "PUT /api/users/me/password",
			map[string]string{"currentPassword": "password", "newPassword": "a-brand-new-password", "code": "654321"})
		if eval[bool](t, tb, `!document.getElementById("password-proof").hidden`) {
			t.Error("the code field stays after the change")
		}
	})

	tb.must("AChangeOfEmailAsksForACode", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("email-toggle")), chromedp.WaitVisible(chromedp.ID("email-form")))
		tb.allow("/api/users/me/email", http.StatusBadRequest)
		f.set("PUT /api/users/me/email", fault{status: http.StatusBadRequest, body: askCode})
		defer f.clear("PUT /api/users/me/email")
		tb.fill(t, "email-new", "demolition@new.example")
		tb.fill(t, "email-password", "a-brand-new-password\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("email-code")))
		wantFieldError(t, tb, "email-code", auth.MsgCodeRequired)
		tb.do(t, chromedp.Click(chromedp.ID("email-proof-switch")), chromedp.WaitVisible(chromedp.ID("email-recovery")))
		f.set("PUT /api/users/me/email", fault{status: http.StatusBadRequest,
			body: `{"message":"Bad request","errors":{"recoveryCode":"` + auth.MsgRecoveryWrong + `"}}`})
		tb.fill(t, "email-recovery", "abcd-efgh-ijkl-mnop-qrst-uvwx\r")
		tb.waitFor(t, `document.getElementById("email-recovery").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "email-recovery", auth.MsgRecoveryWrong)
		wantBody(t, f, "PUT /api/users/me/email", map[string]string{
			"email": "demolition@new.example", "password": "a-brand-new-password", "recoveryCode": "abcd-efgh-ijkl-mnop-qrst-uvwx"})
		tb.do(t, chromedp.Click(chromedp.ID("email-cancel")))
		if eval[bool](t, tb, `!document.getElementById("email-proof").hidden`) {
			t.Error("the code field stays after Cancel")
		}
	})

	tb.must("DeletionAsksForACode", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("delete-toggle")))
		tb.allow("/api/users/me", http.StatusBadRequest)
		f.set("DELETE /api/users/me", fault{status: http.StatusBadRequest, body: askCode})
		defer f.clear("DELETE /api/users/me")
		tb.fill(t, "delete-password", "a-brand-new-password\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("delete-confirm")), chromedp.Click(chromedp.ID("delete-yes")))
		tb.do(t, chromedp.WaitVisible(chromedp.ID("delete-code")))
		wantFieldError(t, tb, "delete-code", auth.MsgCodeRequired)
		if got := tb.text(t, "delete-message"); got != "Nothing is deleted." {
			t.Errorf("message = %q", got)
		}
		tb.fill(t, "delete-code", "111222\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("delete-confirm")), chromedp.Click(chromedp.ID("delete-yes")))
		tb.waitFor(t, `document.getElementById("delete-code").getAttribute("aria-invalid") === "true"`)
		wantBody(t, f, "DELETE /api/users/me", map[string]string{"password": "a-brand-new-password", "code": "111222"})
		tb.do(t, chromedp.Click(chromedp.ID("delete-toggle")))
	})

	tb.must("TwoFactorOffOnThisServerSaysWhy", func(t *testing.T) {
		tb.allow("/api/users/me/totp", http.StatusServiceUnavailable)
		f.set("GET /api/users/me/totp", fault{status: http.StatusServiceUnavailable, body: `{"message":"` + auth.MsgTOTPOff + `"}`})
		defer f.clear("GET /api/users/me/totp")
		tb.do(t, chromedp.Click(chromedp.ID("totp-toggle")))
		wantMessage(t, tb, "totp-message", auth.MsgTOTPOff)
		if eval[bool](t, tb, `!document.getElementById("totp-actions").hidden`) {
			t.Error("the section offers to turn it on anyway")
		}
	})

	tb.must("AResetLinkAsksForACode", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/reset-password#token=a-token-from-a-mail"), chromedp.WaitVisible(chromedp.ID("view-reset")))
		if eval[bool](t, tb, `!document.getElementById("reset-proof").hidden`) {
			t.Error("the code field shows before the server asks for it")
		}
		tb.allow("/api/password-reset/confirm", http.StatusBadRequest)
		f.set("POST /api/password-reset/confirm", fault{status: http.StatusBadRequest,
			body: `{"message":"Bad request","errors":{"code":"` + auth.MsgResetNeedsCode + `"}}`})
		tb.fill(t, "reset-password", "a-reset-password-1\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("reset-code")))
		wantFieldError(t, tb, "reset-code", auth.MsgResetNeedsCode)
		if got := tb.focused(t); got != "reset-code" {
			t.Errorf("focus is on %q, want the code field", got)
		}
		f.set("POST /api/password-reset/confirm", fault{status: http.StatusOK, body: demo})
		defer f.clear("POST /api/password-reset/confirm")
		tb.fill(t, "reset-code", "246810\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantBody(t, f, "POST /api/password-reset/confirm",
			map[string]string{"token": "a-token-from-a-mail", "password": "a-reset-password-1", "code": "246810"})
	})
}

// wantBody checks the last JSON body the page sent to route is want, field for field.
func wantBody(t *testing.T, f *faults, route string, want map[string]string) {
	t.Helper()
	var got map[string]string
	if err := json.Unmarshal(f.lastBody(route), &got); err != nil {
		t.Fatalf("%s: the body %q is not a JSON object of strings: %v", route, f.lastBody(route), err)
	}
	if len(got) != len(want) {
		t.Errorf("%s sent %v, want %v", route, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s sent %v, want %v", route, got, want)
			return
		}
	}
}
