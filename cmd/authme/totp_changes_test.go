package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"testing"

	"authme/internal/events"
)

// offBody is the status of an account without two-factor authentication.
const offBody = `{"enabled":false,"enabledAt":null,"recoveryCodesRemaining":0}`

// aStrangersRecoveryCode is well formed and nobody's.
const aStrangersRecoveryCode = "abcd-efgh-ijkl-mnop-qrst-uvwx"

// sensitiveChange is an endpoint that, with two-factor authentication on, needs a code
// beside the password.
type sensitiveChange struct {
	name, method, path string
	body               func(u *totpUser) map[string]string // the request without a code
	passwordField      string                              // where a wrong password is named
	status             int                                 // the answer when it succeeds
	after              func(t *testing.T, site *totpSite, u *totpUser)
}

// sensitiveChanges lists them, each with the check of its success.
func sensitiveChanges() []sensitiveChange {
	return []sensitiveChange{
		{
			name: "ChangePassword", method: "PUT", path: "/api/users/me/password",
			body: func(*totpUser) map[string]string {
				return map[string]string{"currentPassword": mailPassword, "newPassword": newPassword}
			},
			passwordField: "currentPassword", status: http.StatusOK,
			after: func(t *testing.T, site *totpSite, u *totpUser) {
				c := site.client(t)
				if r := c.login(u.email, newPassword); r.Status != http.StatusAccepted {
					t.Errorf("log-in with the new password = %s, want 202: the second factor stays", r)
				}
			},
		},
		{
			name: "ChangeEmail", method: "PUT", path: "/api/users/me/email",
			body: func(u *totpUser) map[string]string {
				return map[string]string{"password": mailPassword, "email": "moved-" + u.email}
			},
			passwordField: "password", status: http.StatusAccepted,
			after: func(t *testing.T, site *totpSite, u *totpUser) {
				site.mail(t, "moved-"+u.email, subjectChangeConfirm)
			},
		},
		{
			name: "DeleteAccount", method: "DELETE", path: "/api/users/me",
			body:          func(*totpUser) map[string]string { return map[string]string{"password": mailPassword} },
			passwordField: "password", status: http.StatusOK,
			after: func(t *testing.T, site *totpSite, u *totpUser) {
				if r := site.client(t).login(u.email, mailPassword); r.Status != http.StatusUnauthorized {
					t.Errorf("log-in to the deleted account = %s, want 401", r)
				}
				var n int
				if err := site.db.SQL().QueryRow(`SELECT count(*) FROM "TotpFactors" WHERE "userId" = $1`, u.id).Scan(&n); err != nil || n != 0 {
					t.Errorf("%d secrets left for the deleted account (%v)", n, err)
				}
			},
		},
		{
			name: "DisableTOTP", method: "DELETE", path: "/api/users/me/totp",
			body:          func(*totpUser) map[string]string { return map[string]string{"password": mailPassword} },
			passwordField: "password", status: http.StatusOK,
			after: func(t *testing.T, site *totpSite, u *totpUser) {
				c := site.client(t)
				requireSessionBody(t, c, c.login(u.email, mailPassword))
			},
		},
	}
}

// with is a request body and more fields (key, value, ...).
func with(body map[string]string, kv ...string) map[string]string {
	out := maps.Clone(body)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func sensitiveChangeCases(t *testing.T, site *totpSite) {
	for _, sc := range sensitiveChanges() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			u := site.enrolled(t, "change-"+sc.name)
			body := sc.body(u)
			// The password is checked first: a wrong one is named, whatever the code.
			wrongPassword := with(body, sc.passwordField, "not the password")
			fieldError(t, u.c.do(sc.method, sc.path, wrongPassword), http.StatusBadRequest, sc.passwordField)
			r := u.c.do(sc.method, sc.path, body)
			fieldError(t, r, http.StatusBadRequest, "code")
			if r.field(t, "errors", sc.passwordField) != "" {
				t.Errorf("a right password is named wrong: %s", r)
			}
			fieldError(t, u.c.do(sc.method, sc.path, with(body, "code", u.wrongCode(t))), http.StatusBadRequest, "code")
			fieldError(t, u.c.do(sc.method, sc.path, with(body, "recoveryCode", aStrangersRecoveryCode)), http.StatusBadRequest, "recoveryCode")
			if got := u.c.sessionUser(); got != u.name {
				t.Fatalf("a refused change ended the session (user %q)", got)
			}
			u.c.must(sc.status, sc.method, sc.path, with(body, "code", u.code(t)))
			sc.after(t, site, u)
		})
	}

	// A log-in waiting for its code was begun with the password: a new password (or no
	// second factor to wait for) ends it, so a code phished later finishes nothing.
	t.Run("WaitingAttemptsEnd", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name, method, path string
			body               map[string]string
		}{
			{"OnPasswordChange", "PUT", "/api/users/me/password", map[string]string{"currentPassword": mailPassword, "newPassword": newPassword}},
			{"OnDisable", "DELETE", "/api/users/me/totp", map[string]string{"password": mailPassword}},
		} {
			u := site.enrolled(t, "waiting-"+tc.name)
			waiting := site.client(t)
			u.password(t, waiting)
			u.c.must(http.StatusOK, tc.method, tc.path, with(tc.body, "code", u.code(t)))
			attemptError(t, secondFactor(waiting, map[string]string{"code": u.unspent(t)}))
			if got := waiting.sessionUser(); got != "" {
				t.Errorf("%s: a waiting attempt logged in %q", tc.name, got)
			}
		}
	})

	// The same endpoints, for an account without two-factor authentication: the code
	// fields are ignored.
	t.Run("WithoutTOTPUnchanged", func(t *testing.T) {
		t.Parallel()
		for _, sc := range sensitiveChanges() {
			if sc.name == "DisableTOTP" {
				continue
			}
			name := "plain-" + sc.name
			acct := site.account(t, name, name+"@example.test")
			c := site.client(t)
			c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": acct.Email, "password": mailPassword})
			u := &totpUser{name: name, email: acct.Email, id: acct.ID, c: c}
			c.must(sc.status, sc.method, sc.path, with(sc.body(u), "code", "000000"))
		}
	})
}

func disableCases(t *testing.T, site *totpSite) {
	t.Run("EndsOtherSessionsMailsAndLogInIsOneStepAgain", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "disable-full")
		other := site.client(t)
		u.logIn(t, other)
		r := u.c.must(http.StatusOK, "DELETE", "/api/users/me/totp", map[string]string{"password": mailPassword, "code": u.code(t)})
		if !jsonEqual(t, r.Body, offBody) {
			t.Errorf("disable = %s, want %s", r.Body, offBody)
		}
		if got := u.c.sessionUser(); got != u.name {
			t.Errorf("the disabling session is %q's, want it kept", got)
		}
		if got := other.sessionUser(); got != "" {
			t.Errorf("another session survived (user %q)", got)
		}
		if got := u.c.must(http.StatusOK, "GET", "/api/users/me/totp", nil); !jsonEqual(t, got.Body, offBody) {
			t.Errorf("status after disabling = %s", got.Body)
		}
		for _, table := range []string{"TotpFactors", "RecoveryCodes"} {
			var n int
			if err := site.db.SQL().QueryRow(`SELECT count(*) FROM "`+table+`" WHERE "userId" = $1`, u.id).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d rows of %s left (%v)", n, table, err)
			}
		}
		site.mail(t, u.email, subjectTOTPDisabled)
		waitEvent(t, u.c, events.TOTPDisabled)
		c := site.client(t)
		requireSessionBody(t, c, c.login(u.email, mailPassword))
	})

	t.Run("WithARecoveryCode", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "disable-recovery")
		u.c.must(http.StatusOK, "DELETE", "/api/users/me/totp", map[string]string{"password": mailPassword, "recoveryCode": u.recovery[9]})
		requireOff(t, u.c)
	})

	t.Run("NotEnabledIs409", func(t *testing.T) {
		t.Parallel()
		email := "disable-off@example.test"
		site.account(t, "disable-off", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		c.must(http.StatusConflict, "DELETE", "/api/users/me/totp", map[string]string{"password": mailPassword, "code": "123456"})
	})
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, a []byte, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%q is not JSON: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func passwordResetCases(t *testing.T, site *totpSite) {
	confirm := func(c *apiClient, tok string, kv ...string) apiReply {
		c.t.Helper()
		return c.do("POST", "/api/password-reset/confirm", with(map[string]string{"token": tok, "password": newPassword}, kv...))
	}

	t.Run("NeedsACodeAndTheLinkWaits", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "reset-totp")
		c := site.client(t)
		tok := requestReset(t, site.mailSite, c, u.email)
		fieldError(t, confirm(c, tok), http.StatusBadRequest, "code")
		fieldError(t, confirm(c, tok, "code", u.wrongCode(t)), http.StatusBadRequest, "code")
		if got := c.sessionUser(); got != "" {
			t.Fatalf("a refused reset logged in %q", got)
		}
		r := confirm(c, tok, "code", u.code(t))
		if r.Status != http.StatusOK || r.field(t, "user", "username") != u.name {
			t.Fatalf("the same link with a right code = %s, want 200 and the user", r)
		}
		if got := c.sessionUser(); got != u.name {
			t.Errorf("after the reset the session is %q's", got)
		}
		if r := site.client(t).login(u.email, newPassword); r.Status != http.StatusAccepted {
			t.Errorf("log-in with the new password = %s, want 202: the second factor stays", r)
		}
	})

	t.Run("EndsWaitingAttempts", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "reset-waiting")
		waiting := site.client(t)
		u.password(t, waiting)
		c := site.client(t)
		tok := requestReset(t, site.mailSite, c, u.email)
		if r := confirm(c, tok, "code", u.code(t)); r.Status != http.StatusOK {
			t.Fatalf("reset = %s", r)
		}
		attemptError(t, secondFactor(waiting, map[string]string{"code": u.unspent(t)}))
	})

	t.Run("WithARecoveryCode", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "reset-recovery")
		c := site.client(t)
		tok := requestReset(t, site.mailSite, c, u.email)
		fieldError(t, confirm(c, tok, "recoveryCode", aStrangersRecoveryCode), http.StatusBadRequest, "recoveryCode")
		c.must(http.StatusOK, "POST", "/api/password-reset/confirm", map[string]string{"token": tok, "password": newPassword, "recoveryCode": u.recovery[0]})
	})

	// Without two-factor authentication a reset is as it was.
	t.Run("WithoutTOTPUnchanged", func(t *testing.T) {
		t.Parallel()
		email := "reset-plain@example.test"
		site.account(t, "reset-plain", email)
		c := site.client(t)
		tok := requestReset(t, site.mailSite, c, email)
		c.must(http.StatusOK, "POST", "/api/password-reset/confirm", map[string]string{"token": tok, "password": newPassword})
	})
}
