package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authme/internal/testdb"
)

// production is the settings of a production server here, mailing through Mailpit.
func production() []string {
	return []string{"APP_ENV", "production", "JWT_SECRET", "production totp test secret, at least 48 bytes.",
		"MAIL_FROM", "authme <no-reply@example.test>"}
}

// TestTOTPOffInProductionWithoutKey: production without ENCRYPTION_KEY starts, says once
// in its log that two-factor authentication is off, answers its endpoints 503 with a
// message naming the setting, and logs in with a password as ever.
func TestTOTPOffInProductionWithoutKey(t *testing.T) {
	t.Parallel()
	site := startMailSite(t, testdb.Postgres(t), 1, production()...)
	email := "production-nokey@example.test"
	site.account(t, "production-nokey", email)
	c := site.client(t)
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
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
		r := c.do(ep.method, ep.path, body)
		if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.field(t, "message"), "ENCRYPTION_KEY") {
			t.Errorf("%s %s = %s, want 503 with a message naming ENCRYPTION_KEY", ep.method, ep.path, r)
		}
	}
	if got := c.sessionUser(); got != "production-nokey" {
		t.Errorf("logged in as %q", got)
	}
	if log := site.logs[0].String(); strings.Count(log, "two-factor authentication is off") != 1 {
		t.Errorf("the log says %q %d times, want once at start-up:\n%s", "two-factor authentication is off",
			strings.Count(log, "two-factor authentication is off"), log)
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
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge != 300 {
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
