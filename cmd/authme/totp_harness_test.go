package main

// The API tests of two-factor authentication (issue 14) run the real program as the mail
// tests do (startMailSite): run("serve") on port 0, over SQLite and PostgreSQL, with a
// real Mailpit, and often two servers over one database, since a code spent on one must
// be spent on both and an attempt begun on one must finish on the other. Codes come from
// the account's secret and the real clock, as an authenticator app makes them.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"authme/internal/auth"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// attemptCookie is the cookie of a pending log-in attempt in development, which these
// servers run as.
const attemptCookie = "second-factor"

// totpStep is the length of a TOTP step (RFC 6238), in seconds.
const totpStep = 30

// totpSite is a mailSite whose servers share one ENCRYPTION_KEY, so that any of them can
// read the secrets another one sealed.
type totpSite struct {
	*mailSite
	key   string // ENCRYPTION_KEY: one base64 key
	keyID string // its id, as the contract derives it
}

// startTOTPSite starts n servers over a fresh database on tg with a key of their own.
func startTOTPSite(t *testing.T, tg testdb.Target, n int, extra ...string) *totpSite {
	t.Helper()
	key, id := newEncryptionKey(t)
	s := startMailSite(t, tg, n, append([]string{"ENCRYPTION_KEY", key}, extra...)...)
	return &totpSite{mailSite: s, key: key, keyID: id}
}

// newEncryptionKey makes a random 32-byte key, as ENCRYPTION_KEY takes it (standard
// base64), and its id: "k" and the first 8 hex digits of SHA-256("authme key id\x00" ||
// key), computed here from the contract rather than by the code under test.
func newEncryptionKey(t *testing.T) (key, id string) {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append([]byte("authme key id\x00"), raw...))
	return base64.StdEncoding.EncodeToString(raw), "k" + hex.EncodeToString(sum[:])[:8]
}

// startServerAt starts one more server over the site's database with its own settings
// on top of the site's (key, value, ...; an empty value removes the setting) and returns
// its URL.
func (s *totpSite) startServerAt(t *testing.T, extra ...string) string {
	t.Helper()
	url, _ := s.startServerLogged(t, extra...)
	return url
}

// startServerLogged is startServerAt that also returns the server's log.
func (s *totpSite) startServerLogged(t *testing.T, extra ...string) (string, *testkit.Buffer) {
	t.Helper()
	url, out, _ := startServer(t, s.env(append([]string{"ENCRYPTION_KEY", s.key}, extra...)...))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("extra server's log:\n%s", out.String())
		}
	})
	return url, out
}

// totpUser is an account with two-factor authentication on, and what its owner holds:
// the secret in an authenticator app, the recovery codes, and a logged-in browser.
type totpUser struct {
	name, email string
	id          int64
	secret      string
	recovery    []string
	c           *apiClient // the browser that enrolled, still logged in
	// lastStep is the last step whose code this test had accepted: the server accepts a
	// code only for a later step, so the next code must be for a later one.
	lastStep int64
}

// enrolled makes an account called name, logs it in, and turns two-factor
// authentication on through the API.
func (s *totpSite) enrolled(t *testing.T, name string) *totpUser {
	t.Helper()
	email := name + "@example.test"
	acct := s.account(t, name, email)
	c := s.client(t)
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
	return s.enrol(t, c, acct)
}

// enrol turns two-factor authentication on for the account c is logged in to, and
// claims the notice mail the confirmation sends.
func (s *totpSite) enrol(t *testing.T, c *apiClient, acct auth.User) *totpUser {
	t.Helper()
	r := c.must(http.StatusOK, "POST", "/api/users/me/totp", map[string]string{"password": mailPassword})
	u := &totpUser{name: acct.Username, email: acct.Email, id: acct.ID, secret: r.field(t, "secret"), c: c}
	if u.secret == "" {
		t.Fatalf("enrolment answered no secret: %s", r)
	}
	r = c.must(http.StatusOK, "POST", "/api/users/me/totp/confirm", map[string]string{"code": u.code(t)})
	u.recovery = stringList(t, r, "recoveryCodes")
	if len(u.recovery) != 10 {
		t.Fatalf("confirmation gave %d recovery codes, want 10: %s", len(u.recovery), r)
	}
	s.mail(t, u.email, subjectTOTPEnabled)
	return u
}

// code is a code the server accepts now and has not accepted before: for the earliest
// step of the three it accepts (the current one and one either side) that is later than
// the last accepted. The test then counts that step as spent.
func (u *totpUser) code(t *testing.T) string {
	t.Helper()
	step := u.nextStep()
	u.lastStep = step
	return codeAt(t, u.secret, step)
}

// unspent is the code code would give, without counting its step as spent: for a
// request the server must refuse before it checks the code (no attempt, an ended one, a
// throttled account), so that even a right code is shown to be refused, and the step is
// left for the next log-in.
func (u *totpUser) unspent(t *testing.T) string {
	t.Helper()
	return codeAt(t, u.secret, u.nextStep())
}

// nextStep is the earliest step the server accepts now that is later than the last
// accepted. Near the end of a step it first waits for the next, so that the server's
// clock cannot move past the step between here and there; when all three steps are spent
// it waits for the next step. These are waits for the clock, which nothing can signal,
// so they sleep.
func (u *totpUser) nextStep() int64 {
	for {
		now := time.Now()
		cur := now.Unix() / totpStep
		if now.Unix()%totpStep >= totpStep-2 {
			time.Sleep(time.Until(time.Unix((cur+1)*totpStep, 0)) + 50*time.Millisecond)
			continue
		}
		for step := cur - 1; step <= cur+1; step++ {
			if step > u.lastStep {
				return step
			}
		}
		time.Sleep(time.Until(time.Unix((cur+1)*totpStep, 0)) + 50*time.Millisecond)
	}
}

// wrongCode is six digits that are no code of the secret for any step near now.
func (u *totpUser) wrongCode(t *testing.T) string {
	t.Helper()
	cur := time.Now().Unix() / totpStep
	var near []string
	for step := cur - 3; step <= cur+3; step++ {
		near = append(near, codeAt(t, u.secret, step))
	}
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", (135791+n*104729)%1_000_000)
		if !slices.Contains(near, c) {
			return c
		}
	}
}

// codeAt is the secret's code for a step, as an authenticator app computes it.
func codeAt(t *testing.T, secret string, step int64) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Unix(step*totpStep, 0))
	if err != nil {
		t.Fatalf("generate a code: %v", err)
	}
	return c
}

// stringList reads an array of strings at a key of the body.
func stringList(t *testing.T, r apiReply, key string) []string {
	t.Helper()
	list, ok := r.JSON(t)[key].([]any)
	if !ok {
		t.Fatalf("%s has no array %q", r, key)
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s: %q holds %v, not a string", r, key, v)
		}
		out = append(out, s)
	}
	return out
}

// password logs c in with the user's password, which must be answered 202 with the
// attempt cookie.
func (u *totpUser) password(t *testing.T, c *apiClient) apiReply {
	t.Helper()
	r := c.login(u.email, mailPassword)
	if r.Status != http.StatusAccepted {
		t.Fatalf("log-in with the password = %s, want 202", r)
	}
	if c.cookie(attemptCookie) == "" {
		t.Fatalf("log-in answered 202 without the %s cookie", attemptCookie)
	}
	return r
}

// logIn logs c in with the password and a fresh code, and requires the session.
func (u *totpUser) logIn(t *testing.T, c *apiClient) apiReply {
	t.Helper()
	u.password(t, c)
	r := secondFactor(c, map[string]string{"code": u.code(t)})
	if r.Status != http.StatusOK {
		t.Fatalf("second factor with a right code = %s, want 200", r)
	}
	if got := c.sessionUser(); got != u.name {
		t.Fatalf("after the second factor the session is %q's, want %q's", got, u.name)
	}
	return r
}

// secondFactor sends the second step of a log-in.
func secondFactor(c *apiClient, body any) apiReply {
	c.t.Helper()
	return c.do("POST", "/api/session/second-factor", body)
}

// cookie is the value c holds for a cookie name ("" for none).
func (c *apiClient) cookie(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookies[name]
}

// setCookie gives c a cookie, as a browser that kept (or forged) it would send it.
func (c *apiClient) setCookie(name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if value == "" {
		delete(c.cookies, name)
	} else {
		c.cookies[name] = value
	}
}

// setCookieOf is the Set-Cookie of an answer for a name, or nil.
func setCookieOf(r apiReply, name string) *http.Cookie {
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// fieldError requires an answer of status with an error for the field.
func fieldError(t *testing.T, r apiReply, status int, field string) {
	t.Helper()
	if r.Status != status || r.field(t, "errors", field) == "" {
		t.Fatalf("got %s, want %d with errors.%s", r, status, field)
	}
}

// attemptError requires the refusal of an attempt that is missing, unknown, expired or
// ended.
func attemptError(t *testing.T, r apiReply) {
	t.Helper()
	fieldError(t, r, http.StatusUnauthorized, "attempt")
}

// waitEvent waits until the account's history, as c sees it, holds an event of kind,
// and returns it: some events (failures) are written by an aggregator off the request
// path, a few seconds later.
func waitEvent(t *testing.T, c *apiClient, kind string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		r := c.must(http.StatusOK, "GET", "/api/users/me/events?limit=100", nil)
		list, _ := r.JSON(t)["events"].([]any)
		for _, e := range list {
			if m, _ := e.(map[string]any); m["kind"] == kind {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event within %v: %s", kind, mailWait, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// detail reads a string of an event's detail.
func detail(e map[string]any, key string) string {
	d, _ := e["detail"].(map[string]any)
	s, _ := d[key].(string)
	return s
}
