package main

// The API tests of the mail flows (issue 13) run the real program, run("serve") on port
// 0, as main does, against a real Mailpit: the wiring of cmd/authme (transport from
// SMTP_URL, the outbox's sender, the mail buckets) is part of what they test, which a
// handler built by hand would skip. They live here because run is package main's.
// Every exchange goes through openapitest's checking transport.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/mailpit"
	"authme/internal/openapitest"
	"authme/internal/password"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// mailPublicURL is PUBLIC_URL in these tests: no request reaches it, every link must
// start with it.
const mailPublicURL = "https://authme.example.test"

// mailPassword is the password of every account these tests create.
const mailPassword = "correct horse battery"

// mailWait bounds the wait for one mail that the sender is due to send now.
const mailWait = 15 * time.Second

// mailSite is one or more authme servers over one database, mailing through one Mailpit.
type mailSite struct {
	URL    string            // the first server
	URLs   []string          // every server, URL first
	logs   []*testkit.Buffer // each server's log, in the order of URLs
	db     *store.DB         // the servers' database, for the test's own reads and edits
	mp     *mailpit.Server
	hash   string // mailPassword hashed, for accounts made in the database
	opts   store.Options
	target testdb.Target
	ips    atomic.Int64 // clients made so far: each gets an address of its own
}

// client is a new browser on the first server, from an address no other client uses.
func (s *mailSite) client(t *testing.T) *apiClient {
	t.Helper()
	return newClient(t, s.URL, clientIP(int(s.ips.Add(1))))
}

// startMailSite migrates a fresh database on tg, starts Mailpit and n servers over both,
// with extra settings (key, value, ...) on top of the defaults.
func startMailSite(t *testing.T, tg testdb.Target, n int, extra ...string) *mailSite {
	t.Helper()
	o := tg.Options(t)
	db := testdb.OpenWith(t, o)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	hash, err := password.NewArgon2id(password.OWASP).Hash(mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	s := &mailSite{db: db, mp: mailpit.Start(t), hash: hash, opts: o, target: tg}
	for i := range n {
		env := s.env(extra...)
		url, out, _ := startServer(t, env)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server %d log:\n%s", i, out.String())
			}
		})
		s.URLs, s.logs = append(s.URLs, url), append(s.logs, out)
	}
	s.URL = s.URLs[0]
	return s
}

// env is a server's environment: the database, SMTP_URL of the Mailpit, PUBLIC_URL, and
// the test client's address trusted as a proxy so each test can speak for a client of
// its own (X-Forwarded-For) and have buckets of its own.
func (s *mailSite) env(extra ...string) map[string]string {
	env := map[string]string{
		"SMTP_URL":    s.mp.SMTPURL(),
		"PUBLIC_URL":  mailPublicURL,
		"JWT_SECRET":  "mail API tests secret, at least 32 bytes long",
		"TRUST_PROXY": "127.0.0.1",
	}
	if s.opts.DatabaseURL != "" {
		env["DATABASE_URL"], env["SCHEMA"] = s.opts.DatabaseURL, s.opts.Schema
	} else {
		env["DB_FILE"] = s.opts.File
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(env, extra[i])
		} else {
			env[extra[i]] = extra[i+1]
		}
	}
	return env
}

// account makes an account in the database (no sign-up, so no mail) with mailPassword.
func (s *mailSite) account(t *testing.T, username, email string) auth.User {
	t.Helper()
	u, err := testdb.CreateUser(context.Background(), s.db, username, email, s.hash)
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

// mail waits for the next mail to addr and requires its subject.
func (s *mailSite) mail(t *testing.T, addr, subject string) mailpit.Message {
	t.Helper()
	return s.mailWithin(t, addr, subject, mailWait)
}

// mailWithin is mail with a wait of its own.
func (s *mailSite) mailWithin(t *testing.T, addr, subject string, wait time.Duration) mailpit.Message {
	t.Helper()
	m := s.mp.WaitFor(t, addr, wait)
	if m.Subject != subject {
		t.Fatalf("mail to %s is %q, want %q", addr, m.Subject, subject)
	}
	return m
}

var linkRE = regexp.MustCompile(`(https?://[^\s"<>]+?)#token=([A-Za-z0-9_-]+)`)

// token reads the link of a mail: it must be PUBLIC_URL + path, and its token is returned.
func token(t *testing.T, m mailpit.Message, path string) string {
	t.Helper()
	got := linkRE.FindStringSubmatch(m.Text)
	if got == nil {
		t.Fatalf("mail %q has no link:\n%s", m.Subject, m.Text)
	}
	if got[1] != mailPublicURL+path {
		t.Fatalf("mail %q links to %s, want %s", m.Subject, got[1], mailPublicURL+path)
	}
	return got[2]
}

// settled waits until the outbox has nothing left to send or drop, so that a mail that
// has not arrived never will.
func (s *mailSite) settled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		n, err := s.db.Outbox().CountPending(context.Background())
		if err != nil {
			t.Fatalf("count pending mail: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails still pending after %v", n, mailWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailsTo counts the mails Mailpit holds for addr, claimed or not.
func (s *mailSite) mailsTo(t *testing.T, addr string) int {
	t.Helper()
	list, err := s.mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				n++
			}
		}
	}
	return n
}

// outboxRows counts the outbox's rows of a kind for an address.
func (s *mailSite) outboxRows(t *testing.T, kind, email string) int {
	t.Helper()
	var n int
	if err := s.db.SQL().QueryRow(`SELECT count(*) FROM "Outbox" WHERE "kind" = $1 AND "email" = $2`, kind, email).Scan(&n); err != nil {
		t.Fatalf("count outbox rows: %v", err)
	}
	return n
}

// apiClient is one browser: its own cookies (kept by hand, since production's are
// Secure and the servers here speak plain HTTP), the XSRF-Token header on unsafe
// requests, and its own client address through X-Forwarded-For.
type apiClient struct {
	t       *testing.T
	hc      *http.Client
	base    string
	ip      string
	mu      sync.Mutex
	cookies map[string]string
}

// newClient fetches the CSRF cookies from base, as a page does on start-up.
func newClient(t *testing.T, base, ip string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: base, ip: ip, cookies: map[string]string{},
		hc: openapitest.Client(t, &http.Client{Timeout: 20 * time.Second})}
	c.must(http.StatusOK, "GET", "/api/csrf/restore", nil)
	return c
}

// at is another browser of the same client address, on base (another server, or a
// second browser on the same one).
func (c *apiClient) at(base string) *apiClient {
	c.t.Helper()
	return newClient(c.t, base, c.ip)
}

// apiReply is a whole answer.
type apiReply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiReply) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// JSON decodes the body as an object.
func (r apiReply) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

// field reads a string at a path of object keys ("" when absent or not a string).
func (r apiReply) field(t *testing.T, path ...string) string {
	t.Helper()
	var v any = r.JSON(t)
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// do sends a request; header is key, value pairs.
func (c *apiClient) do(method, path string, body any, header ...string) apiReply {
	c.t.Helper()
	r, err := c.send(method, path, body, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// send is do for any goroutine: it returns what goes wrong instead of failing the test.
func (c *apiClient) send(method, path string, body any, header ...string) (apiReply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiReply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return apiReply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", c.ip)
	c.mu.Lock()
	var pairs []string
	for k, v := range c.cookies {
		pairs = append(pairs, k+"="+v)
	}
	if method != "GET" && c.cookies["XSRF-TOKEN"] != "" {
		req.Header.Set("XSRF-Token", c.cookies["XSRF-TOKEN"])
	}
	c.mu.Unlock()
	if len(pairs) > 0 {
		req.Header.Set("Cookie", strings.Join(pairs, "; "))
	}
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return apiReply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return apiReply{}, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	c.mu.Lock()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	c.mu.Unlock()
	return apiReply{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// must sends a request that has to get status want.
func (c *apiClient) must(want int, method, path string, body any, header ...string) apiReply {
	c.t.Helper()
	r := c.do(method, path, body, header...)
	if r.Status != want {
		c.t.Fatalf("%s %s = %s, want %d", method, path, r, want)
	}
	return r
}

// login logs in with a credential and password and returns the answer.
func (c *apiClient) login(credential, pw string) apiReply {
	c.t.Helper()
	return c.do("POST", "/api/session", map[string]string{"credential": credential, "password": pw})
}

// sessionUser is the username GET /api/session answers ("" for none).
func (c *apiClient) sessionUser() string {
	c.t.Helper()
	return c.must(http.StatusOK, "GET", "/api/session", nil).field(c.t, "user", "username")
}

// tokenError requires a 400 about the token.
func tokenError(t *testing.T, r apiReply) {
	t.Helper()
	if r.Status != http.StatusBadRequest || r.field(t, "errors", "token") == "" {
		t.Fatalf("got %s, want 400 with errors.token", r)
	}
}

// perTarget runs f once per database target, in parallel, each with a server and Mailpit
// of its own.
func perTarget(t *testing.T, f func(t *testing.T, tg testdb.Target)) {
	t.Helper()
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Parallel()
			f(t, tg)
		})
	}
}

// clientIP is the address of the n-th client of a site: tests give each client its own,
// so no two share a bucket of the mail or log-in limits.
func clientIP(n int) string { return fmt.Sprintf("10.13.%d.%d", n/250, 1+n%250) }
