package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// production is the settings of a production server here, mailing through Mailpit.
func production() []string {
	return []string{"APP_ENV", "production", "JWT_SECRET", "production totp test secret, at least 48 bytes.",
		"MAIL_FROM", "authme <no-reply@example.test>"}
}

// TestTOTPOffInProductionWithoutKey: production without ENCRYPTION_KEY starts and says
// once in its log that two-factor authentication is off. Enrolling answers 503 with a
// message naming the setting; the status still reads, and an account without the factor
// has nothing to turn off. An account that enrolled while the server had a key (the key
// was dropped since) still gets its password step, but its code cannot be checked: 503,
// not a session and not a 500.
func TestTOTPOffInProductionWithoutKey(t *testing.T) {
	t.Parallel()
	site := startTOTPSite(t, testdb.Postgres(t), 1, production()...)
	enrolled := site.enrolled(t, "production-enrolled")
	keyless, log := site.startServerLogged(t, "ENCRYPTION_KEY", "")

	plain := site.account(t, "production-nokey", "production-nokey@example.test")
	c := newClient(t, keyless, clientIP(int(site.ips.Add(1))))
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": plain.Email, "password": mailPassword})
	requireOff(t, c)
	for _, ep := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/api/users/me/totp", http.StatusServiceUnavailable},
		{"POST", "/api/users/me/totp/confirm", http.StatusServiceUnavailable},
		{"DELETE", "/api/users/me/totp", http.StatusConflict},
		{"POST", "/api/users/me/totp/recovery-codes", http.StatusConflict},
	} {
		r := c.do(ep.method, ep.path, map[string]string{"password": mailPassword, "code": "123456"})
		if r.Status != ep.status || ep.status == http.StatusServiceUnavailable && r.field(t, "message") != auth.MsgTOTPOff {
			t.Errorf("%s %s = %s, want %d (503s say %q)", ep.method, ep.path, r, ep.status, auth.MsgTOTPOff)
		}
	}
	if got := c.sessionUser(); got != plain.Username {
		t.Errorf("logged in as %q", got)
	}

	e := newClient(t, keyless, clientIP(int(site.ips.Add(1))))
	enrolled.password(t, e)
	r := secondFactor(e, map[string]string{"code": enrolled.unspent(t)})
	if r.Status != http.StatusServiceUnavailable || r.field(t, "message") != auth.MsgTOTPOff {
		t.Errorf("a code on the keyless server = %s, want 503 %q", r, auth.MsgTOTPOff)
	}
	if got := e.sessionUser(); got != "" {
		t.Errorf("the keyless server logged in %q", got)
	}
	// Its recovery codes are only hashes, which need no key.
	requireSessionBody(t, e, secondFactor(e, map[string]string{"recoveryCode": enrolled.recovery[0]}), "recoveryCodesRemaining")

	const said = "two-factor authentication is off"
	if n := strings.Count(log.String(), said); n != 1 {
		t.Errorf("the log says %q %d times, want once at start-up:\n%s", said, n, log.String())
	}
	if n := strings.Count(site.logs[0].String(), said); n != 0 {
		t.Errorf("the server with a key says %q", said)
	}
}

// TestTOTPInProduction: the attempt cookie takes the __Host- prefix and Secure in
// production, and the two steps work as in development.
func TestTOTPInProduction(t *testing.T) {
	t.Parallel()
	site := startTOTPSite(t, testdb.Postgres(t), 1, production()...)
	email := "production-totp@example.test"
	acct := site.account(t, "production-totp", email)
	c := site.client(t)
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
	u := site.enrol(t, c, acct)

	b := site.client(t)
	r := b.login(email, mailPassword)
	if r.Status != http.StatusAccepted {
		t.Fatalf("log-in with the password = %s, want 202", r)
	}
	ck := setCookieOf(r, "__Host-"+attemptCookie)
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge < 299 || ck.MaxAge > 300 {
		t.Fatalf("attempt cookie %v, want __Host-%s: Secure, HttpOnly, Path=/, no Domain, SameSite=Strict, Max-Age=300", ck, attemptCookie)
	}
	if setCookieOf(r, attemptCookie) != nil {
		t.Errorf("production also set the development cookie %q", attemptCookie)
	}
	r = secondFactor(b, map[string]string{"code": u.code(t)})
	if r.Status != http.StatusOK || setCookieOf(r, "__Host-token") == nil {
		t.Fatalf("second factor = %s, want 200 with the __Host-token cookie", r)
	}
	if got := b.sessionUser(); got != acct.Username {
		t.Errorf("after the second factor the session is %q's", got)
	}
}

// TestTOTPKeyFileInDevelopment: development without ENCRYPTION_KEY makes a key in
// encryption.key beside DB_FILE, readable by its owner only, and a restarted server
// reuses it, so the secrets it sealed still check.
func TestTOTPKeyFileInDevelopment(t *testing.T) {
	t.Parallel()
	site := &totpSite{mailSite: startMailSite(t, testdb.Target{Dialect: "sqlite"}, 1)}
	u := site.enrolled(t, "keyfile")
	path := filepath.Join(filepath.Dir(site.opts.File), "encryption.key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no key file beside DB_FILE: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("the key file's mode is %v, want 0600", mode)
	}
	again := site.startServerAt(t)
	u.logIn(t, newClient(t, again, clientIP(int(site.ips.Add(1)))))
}
