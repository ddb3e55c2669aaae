package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/logging"
	"authme/internal/login"
	"authme/internal/openapitest"
	"authme/internal/password"
	"authme/internal/recovery"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// testSecret signs the tests' JWTs and keys their CSRF tokens, as JWT_SECRET does in serve.
const testSecret = "authme httpapi tests: a JWT secret of more than 32 bytes"

// testTTL is the session lifetime in these tests, so the token cookie's Max-Age is 7200.
const testTTL = 2 * time.Hour

// The seed's first demo account.
const (
	demoUsername = "Demo-lition"
	demoEmail    = "demo@user.io"
	demoPassword = "password"
)

// testClock is the server's clock; tests move it to expire sessions.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// harness is a real authme server on a real port over a fresh database, built the way
// cmd/authme/serve.go builds it.
type harness struct {
	db       *store.DB
	users    *auth.Service
	sessions *session.Manager
	server   *Server
	ts       *httptest.Server
	logs     *testkit.Buffer
	clock    *testClock
	prod     bool
	api      *openapitest.Document // every client's exchanges are checked against it
	failures *events.Aggregator    // records failed log-ins; syncEvents writes what it holds
}

type harnessOptions struct {
	prod       bool           // Deps.Production, served over TLS so Secure cookies travel
	trustProxy []netip.Prefix // Deps.TrustProxy
}

// newHarness starts a server on target's fresh, migrated, seeded database.
func newHarness(t *testing.T, tg testdb.Target, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	db := tg.Migrated(t)
	hasher := password.NewArgon2id(password.OWASP)
	if _, err := db.Seed(ctx, hasher); err != nil {
		t.Fatalf("seed: %v", err)
	}
	logs := &testkit.Buffer{}
	log := logging.New(logs, o.prod, slog.LevelInfo)
	// As cmd/authme/serve.go wires it, less the hash gate and the per-address rate limit,
	// which would shed or refuse these tests' bursts of log-ins from one address.
	// Every failure of a test falls in one minute, whenever the test runs.
	minute := time.Now().Truncate(time.Minute)
	failures := events.NewAggregator(db, events.AggregatorOptions{Log: log, Now: func() time.Time { return minute }})
	users, err := auth.NewService(db, hasher, log, auth.WithThrottle(db, auth.DefaultThrottle),
		auth.WithFailureObserver(func(f auth.LoginFailure) {
			kind := events.LoginFailed
			if f.Throttled {
				kind = events.LoginThrottled
			}
			failures.Observe(events.Event{UserID: f.UserID, Kind: kind, Address: f.Address, UserAgent: f.UserAgent, Count: 1})
		}))
	if err != nil {
		t.Fatalf("auth service: %v", err)
	}
	clock := &testClock{}
	sessions := session.NewManager(db, []byte(testSecret), testTTL, 0, clock.Now)
	var origins []string
	if !o.prod {
		origins = []string{"http://localhost:*", "http://127.0.0.1:*"} // config's development default
	}
	srv := NewServer(Deps{
		Log:        log,
		Accounts:   login.New(users, sessions, db, login.WithTokens(db)),
		Recovery:   recovery.New(db, users, recovery.Options{MailOn: true, Now: clock.Now}),
		Events:     db,
		Sessions:   sessions,
		CSRFKey:    []byte(testSecret),
		Production: o.prod,
		Now:        clock.Now,
		Ready:      db.Ping,
		Origins:    origins,
		TrustProxy: o.trustProxy,
	})
	ts := httptest.NewUnstartedServer(srv)
	// Closing the server mid-handshake of an idle TLS connection is not worth a line.
	ts.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	if o.prod {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	bg, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { failures.Run(bg); close(ran) }()
	t.Cleanup(func() { stop(); <-ran })
	api, err := openapitest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	return &harness{db: db, users: users, sessions: sessions, server: srv, ts: ts, logs: logs, clock: clock, prod: o.prod, api: api, failures: failures}
}

// forEachTarget runs fn in parallel on every database target.
func forEachTarget(t *testing.T, fn func(t *testing.T, tg testdb.Target)) {
	t.Helper()
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Parallel()
			fn(t, tg)
		})
	}
}

// forEachMode runs fn in parallel in development and in production mode.
func forEachMode(t *testing.T, fn func(t *testing.T, prod bool)) {
	t.Helper()
	for _, prod := range []bool{false, true} {
		name := "Development"
		if prod {
			name = "Production"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, prod)
		})
	}
}

// client is one browser: its own cookie jar, so its own CSRF secret and session. Its
// every exchange is checked against the OpenAPI document.
type client struct {
	t  *testing.T
	h  *harness
	hc *http.Client
}

func (h *harness) client(t *testing.T) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, h: h, hc: &http.Client{
		Transport: &openapitest.Transport{T: t, Doc: h.api, Base: h.ts.Client().Transport},
		Jar:       jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 30 * time.Second,
	}}
}

// response is a finished response with its body read.
type response struct {
	h       *harness
	status  int
	header  http.Header
	cookies []*http.Cookie // parsed from the raw Set-Cookie headers
	body    []byte
}

// cookieName maps the development names "token" and "_csrf" to the server's names for
// them (production prefixes them with __Host-).
func (h *harness) cookieName(name string) string {
	switch name {
	case "token":
		return h.server.cookies.token
	case "_csrf":
		return h.server.cookies.csrfSecret
	case "device":
		return h.server.device.name
	}
	return name
}

// cookie returns the last Set-Cookie of name (the one a browser ends with), or nil.
func (r *response) cookie(name string) *http.Cookie {
	name = r.h.cookieName(name)
	var last *http.Cookie
	for _, c := range r.cookies {
		if c.Name == name {
			last = c
		}
	}
	return last
}

// jsonObject decodes the body as a JSON object.
func (r *response) jsonObject(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends a request. body is nil, a string sent as is, or a value sent as JSON; header
// holds name, value pairs. Every response is checked against the contract's invariants.
func (c *client) do(method, path string, body any, header ...string) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.h.ts.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &response{h: c.h, status: res.StatusCode, header: res.Header, cookies: res.Cookies(), body: b}
	checkInvariants(c.t, method+" "+path, r)
	return r
}

// checkInvariants holds for every response: never a 500, never a password hash, and an
// error is a JSON object with a message and, only when fields are at fault, their errors.
func checkInvariants(t *testing.T, what string, r *response) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("%s: status %d, body %s", what, r.status, r.body)
	}
	for _, mark := range []string{"$argon2id$", "$2a$", "$2b$", "$2y$"} {
		if bytes.Contains(r.body, []byte(mark)) || strings.Contains(fmt.Sprint(r.header), mark) {
			t.Errorf("%s: response contains a password hash (%s): %s", what, mark, r.body)
		}
	}
	if r.status < 400 || len(r.body) == 0 && strings.HasPrefix(what, http.MethodHead) {
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error %d has Content-Type %q, want JSON", what, r.status, ct)
	}
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: error body %q is not a JSON object: %v", what, r.body, err)
		return
	}
	if m, ok := e["message"].(string); !ok || m == "" {
		t.Errorf("%s: error body %s has no message", what, r.body)
	}
	for k, v := range e {
		switch k {
		case "message":
		case "errors":
			fields, ok := v.(map[string]any)
			if !ok || len(fields) == 0 {
				t.Errorf("%s: errors %v is not a non-empty object", what, v)
			}
			for f, msg := range fields {
				if s, ok := msg.(string); !ok || s == "" {
					t.Errorf("%s: errors.%s = %v, want a message", what, f, msg)
				}
			}
		default:
			t.Errorf("%s: error body has unexpected key %q: %s", what, k, r.body)
		}
	}
}

// jarCookie returns the value of the named cookie this client would send, or "".
func (c *client) jarCookie(name string) string {
	name = c.h.cookieName(name)
	u, _ := url.Parse(c.h.ts.URL + "/")
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// setJarCookie stores a cookie as if the server had set it.
func (c *client) setJarCookie(name, value string) {
	name = c.h.cookieName(name)
	u, _ := url.Parse(c.h.ts.URL + "/")
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/", Secure: c.h.prod}})
}

// csrfToken returns the token a frontend would copy from XSRF-TOKEN, asking
// /api/csrf/restore for one first when the client has none.
func (c *client) csrfToken() string {
	c.t.Helper()
	if tok := c.jarCookie("XSRF-TOKEN"); tok != "" {
		return tok
	}
	r := c.do(http.MethodGet, "/api/csrf/restore", nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET /api/csrf/restore: %d %s", r.status, r.body)
	}
	return c.jarCookie("XSRF-TOKEN")
}

// send is do for the frontend's unsafe requests: the CSRF token goes in XSRF-Token.
func (c *client) send(method, path string, body any, header ...string) *response {
	c.t.Helper()
	return c.do(method, path, body, append([]string{"XSRF-Token", c.csrfToken()}, header...)...)
}

// login posts credentials.
func (c *client) login(credential, password string) *response {
	c.t.Helper()
	return c.send(http.MethodPost, "/api/session", map[string]string{"credential": credential, "password": password})
}

// signup posts a new account.
func (c *client) signup(username, email, password string) *response {
	c.t.Helper()
	return c.send(http.MethodPost, "/api/users", map[string]string{"username": username, "email": email, "password": password})
}

// mustLogin logs in and returns the new token cookie's value.
func (c *client) mustLogin(credential, password string) string {
	c.t.Helper()
	r := c.login(credential, password)
	if r.status != http.StatusOK {
		c.t.Fatalf("log in as %s: %d %s", credential, r.status, r.body)
	}
	ck := r.cookie("token")
	if ck == nil || ck.Value == "" {
		c.t.Fatalf("log in as %s: no token cookie in %v", credential, r.header["Set-Cookie"])
	}
	return ck.Value
}

// sessionUser is GET /api/session's "user": nil when null.
func (c *client) sessionUser() map[string]any {
	c.t.Helper()
	r := c.do(http.MethodGet, "/api/session", nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET /api/session: %d %s", r.status, r.body)
	}
	return userOf(c.t, r)
}

// userOf returns the body's "user", checking it is null or exactly {id, username, email}
// (with "emailVerifiedAt" beside it, never inside).
func userOf(t *testing.T, r *response) map[string]any {
	t.Helper()
	body := r.jsonObject(t)
	if body["user"] == nil {
		if keys := keysOf(body); !reflect.DeepEqual(keys, []string{"user"}) {
			t.Fatalf("body keys %v, want [user]: %s", keys, r.body)
		}
		return nil
	}
	if keys := keysOf(body); !reflect.DeepEqual(keys, []string{"emailVerifiedAt", "user"}) {
		t.Fatalf("body keys %v, want [emailVerifiedAt user]: %s", keys, r.body)
	}
	u, ok := body["user"].(map[string]any)
	if !ok {
		t.Fatalf("user is %T, want an object: %s", body["user"], r.body)
	}
	if keys := keysOf(u); !reflect.DeepEqual(keys, []string{"email", "id", "username"}) {
		t.Fatalf("user keys %v, want exactly [email id username]: %s", keys, r.body)
	}
	id, ok := u["id"].(float64)
	if !ok || id < 1 || id != float64(int64(id)) {
		t.Fatalf("user id %v is not a positive integer", u["id"])
	}
	for _, k := range []string{"username", "email"} {
		if s, ok := u[k].(string); !ok || s == "" {
			t.Fatalf("user %s %v is not a string", k, u[k])
		}
	}
	return u
}

// wantUser checks that r's body is {"user": {...}} for username and email.
func wantUser(t *testing.T, r *response, username, email string) map[string]any {
	t.Helper()
	u := userOf(t, r)
	if u == nil {
		t.Fatalf("user is null, want %s", username)
	}
	if u["username"] != username || u["email"] != email {
		t.Fatalf("user %v, want %s <%s>", u, username, email)
	}
	return u
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// wantStatus fails unless r has status.
func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

// wantBody fails unless r's body is the JSON document want (key order and spacing aside).
func wantBody(t *testing.T, r *response, want string) {
	t.Helper()
	var got, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("body %s, want %s", r.body, want)
	}
}

// wantCleared fails unless r deletes the named cookie.
func wantCleared(t *testing.T, r *response, name string) {
	t.Helper()
	ck := r.cookie(name)
	if ck == nil {
		t.Fatalf("no %s cookie in Set-Cookie %q, want it cleared", name, r.header.Values("Set-Cookie"))
	}
	expired := ck.MaxAge < 0 || !ck.Expires.IsZero() && ck.Expires.Before(time.Now())
	if ck.Value != "" || !expired || ck.Path != "/" {
		t.Fatalf("%s cookie %q does not clear it", name, ck.Raw)
	}
}

// waitForLog waits for the server to log s (its line is written as the request ends).
func waitForLog(t *testing.T, logs *testkit.Buffer, s string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := logs.String()
		if strings.Contains(out, s) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never contained %q:\n%s", s, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
