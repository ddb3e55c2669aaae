package main

import (
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"

	"authme/internal/events"
)

// Subjects of the two-factor notices, as the templates write them.
const (
	subjectTOTPEnabled      = "Two-factor authentication is on"
	subjectTOTPDisabled     = "Two-factor authentication is off"
	subjectRecoveryCodeUsed = "A recovery code was used"
)

// recoveryCodeRE is a recovery code as shown: 6 groups of 4 lowercase base32 characters.
var recoveryCodeRE = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){5}$`)

// TestTOTP runs issue 14's flows through the real program: two servers over one
// database (SQLite, and PostgreSQL when configured) and a real Mailpit, each case with
// accounts and client addresses of its own.
func TestTOTP(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startTOTPSite(t, tg, 2)
		t.Run("Enrolment", func(t *testing.T) { enrolmentCases(t, site) })
		t.Run("LogIn", func(t *testing.T) { loginCases(t, site) })
		t.Run("Attempt", func(t *testing.T) { attemptCases(t, site) })
		t.Run("RecoveryCodes", func(t *testing.T) { recoveryCodeCases(t, site) })
		t.Run("SensitiveChanges", func(t *testing.T) { sensitiveChangeCases(t, site) })
		t.Run("Disable", func(t *testing.T) { disableCases(t, site) })
		t.Run("PasswordReset", func(t *testing.T) { passwordResetCases(t, site) })
		t.Run("Storage", func(t *testing.T) { storageCases(t, site) })
	})
}

// totpStatus reads GET /api/users/me/totp and requires its shape.
func totpStatus(t *testing.T, c *apiClient) (enabled bool, enabledAt string, remaining int) {
	t.Helper()
	m := c.must(http.StatusOK, "GET", "/api/users/me/totp", nil).JSON(t)
	enabled, _ = m["enabled"].(bool)
	enabledAt, _ = m["enabledAt"].(string)
	n, _ := m["recoveryCodesRemaining"].(float64)
	return enabled, enabledAt, int(n)
}

// requireOff requires the status of an account without two-factor authentication.
func requireOff(t *testing.T, c *apiClient) {
	t.Helper()
	if on, at, n := totpStatus(t, c); on || at != "" || n != 0 {
		t.Fatalf("status = enabled %v, enabledAt %q, %d recovery codes; want off", on, at, n)
	}
}

func enrolmentCases(t *testing.T, site *totpSite) {
	t.Run("NeedsThePassword", func(t *testing.T) {
		t.Parallel()
		email := "enrol-pw@example.test"
		site.account(t, "enrol-pw", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		requireOff(t, c)
		for _, body := range []map[string]string{{"password": "not the password"}, {}} {
			fieldError(t, c.do("POST", "/api/users/me/totp", body), http.StatusBadRequest, "password")
		}
		requireOff(t, c)
	})

	t.Run("NeedsASession", func(t *testing.T) {
		t.Parallel()
		c := site.client(t)
		for _, ep := range []struct{ method, path string }{
			{"GET", "/api/users/me/totp"},
			{"POST", "/api/users/me/totp"},
			{"POST", "/api/users/me/totp/confirm"},
			{"DELETE", "/api/users/me/totp"},
			{"POST", "/api/users/me/totp/recovery-codes"},
		} {
			var body any
			if ep.method != "GET" {
				body = map[string]string{"password": mailPassword, "code": "123456"}
			}
			if r := c.do(ep.method, ep.path, body); r.Status != http.StatusUnauthorized {
				t.Errorf("%s %s without a session = %s, want 401", ep.method, ep.path, r)
			}
		}
	})

	t.Run("ConfirmWithoutEnrolmentIs409", func(t *testing.T) {
		t.Parallel()
		email := "enrol-none@example.test"
		site.account(t, "enrol-none", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		fieldError(t, c.do("POST", "/api/users/me/totp/confirm", map[string]string{"code": "123456"}), http.StatusConflict, "totp")
	})

	t.Run("WrongCodeRefusedRightCodeTurnsItOn", func(t *testing.T) {
		t.Parallel()
		email := "enrol-full@example.test"
		site.account(t, "enrol-full", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		r := c.must(http.StatusOK, "POST", "/api/users/me/totp", map[string]string{"password": mailPassword})
		u := &totpUser{name: "enrol-full", email: email, secret: r.field(t, "secret"), c: c}
		if b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.secret); err != nil || len(b) < 20 {
			t.Errorf("secret %q is not base32 of at least 160 bits (%d bytes, %v)", u.secret, len(b), err)
		}
		uri, err := url.Parse(r.field(t, "uri"))
		if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" {
			t.Fatalf("uri %q is not an otpauth://totp/ URI (%v)", r.field(t, "uri"), err)
		}
		q := uri.Query()
		if q.Get("secret") != u.secret || q.Get("issuer") != "authme" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
			t.Errorf("uri %s does not carry the secret, issuer authme and SHA1/6/30", uri)
		}
		if !strings.HasPrefix(r.field(t, "qrCode"), "data:image/png;base64,") {
			t.Errorf("qrCode is not a PNG data URL: %.60s", r.field(t, "qrCode"))
		}
		requireOff(t, c) // pending until confirmed

		fieldError(t, c.do("POST", "/api/users/me/totp/confirm", map[string]string{"code": u.wrongCode(t)}), http.StatusBadRequest, "code")
		requireOff(t, c)

		r = c.must(http.StatusOK, "POST", "/api/users/me/totp/confirm", map[string]string{"code": u.code(t)})
		codes := stringList(t, r, "recoveryCodes")
		if len(codes) != 10 || r.JSON(t)["enabled"] != true || r.field(t, "enabledAt") == "" {
			t.Fatalf("confirm = %s, want enabled, enabledAt and 10 recovery codes", r)
		}
		for _, code := range codes {
			if !recoveryCodeRE.MatchString(code) {
				t.Errorf("recovery code %q is not 6 groups of 4 base32 characters", code)
			}
		}
		if sorted := slices.Compact(slices.Sorted(slices.Values(codes))); len(sorted) != 10 {
			t.Errorf("the recovery codes repeat: %q", codes)
		}
		on, at, n := totpStatus(t, c)
		if !on || n != 10 {
			t.Errorf("status = enabled %v, %d recovery codes; want on with 10", on, n)
		}
		if when, err := time.Parse(time.RFC3339, at); err != nil || time.Since(when) > time.Minute || time.Until(when) > 5*time.Second {
			t.Errorf("enabledAt %q is not about now (%v)", at, err)
		}
		site.mail(t, email, subjectTOTPEnabled)

		fieldError(t, c.do("POST", "/api/users/me/totp", map[string]string{"password": mailPassword}), http.StatusConflict, "totp")
		// Once on, a confirmation has nothing to confirm.
		fieldError(t, c.do("POST", "/api/users/me/totp/confirm", map[string]string{"code": u.wrongCode(t)}), http.StatusConflict, "totp")
		if e := waitEvent(t, c, events.TOTPEnabled); e["current"] != true {
			t.Errorf("the totp-enabled event is not marked as this session's: %v", e)
		}
	})

	// A second enrolment before confirming replaces the first: the first secret's
	// codes no longer confirm.
	t.Run("NewEnrolmentReplacesAPendingOne", func(t *testing.T) {
		t.Parallel()
		email := "enrol-again@example.test"
		site.account(t, "enrol-again", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		first := &totpUser{secret: c.must(http.StatusOK, "POST", "/api/users/me/totp", map[string]string{"password": mailPassword}).field(t, "secret")}
		second := &totpUser{secret: c.must(http.StatusOK, "POST", "/api/users/me/totp", map[string]string{"password": mailPassword}).field(t, "secret")}
		if first.secret == second.secret {
			t.Fatalf("the second enrolment has the first's secret")
		}
		fieldError(t, c.do("POST", "/api/users/me/totp/confirm", map[string]string{"code": first.code(t)}), http.StatusBadRequest, "code")
		c.must(http.StatusOK, "POST", "/api/users/me/totp/confirm", map[string]string{"code": second.code(t)})
		site.mail(t, email, subjectTOTPEnabled)
	})

	// Until it is confirmed, an enrolment is no second factor: log-in stays one step and
	// changes need no code.
	t.Run("UnconfirmedIsNoSecondFactor", func(t *testing.T) {
		t.Parallel()
		email := "enrol-unconfirmed@example.test"
		site.account(t, "enrol-unconfirmed", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		c.must(http.StatusOK, "POST", "/api/users/me/totp", map[string]string{"password": mailPassword})
		other := site.client(t)
		requireSessionBody(t, other, other.login(email, mailPassword))
		c.must(http.StatusOK, "PUT", "/api/users/me/password", map[string]string{"currentPassword": mailPassword, "newPassword": newPassword})
	})

	t.Run("EndsTheAccountsOtherSessions", func(t *testing.T) {
		t.Parallel()
		email := "enrol-others@example.test"
		acct := site.account(t, "enrol-others", email)
		other, onB := site.client(t), site.client(t).at(site.URLs[1])
		for _, b := range []*apiClient{other, onB} {
			b.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		}
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		site.enrol(t, c, acct)
		if got := c.sessionUser(); got != acct.Username {
			t.Errorf("the enrolling session is %q's after the confirmation, want it kept", got)
		}
		for i, b := range []*apiClient{other, onB} {
			if got := b.sessionUser(); got != "" {
				t.Errorf("other session %d survived the enrolment (user %q)", i, got)
			}
		}
	})
}
