// Package securitytest attacks authme from outside, through real HTTP servers on real
// ports: throttling across instances, account enumeration by timing, hostile input.
package securitytest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/httpapi"
	"authme/internal/logging"
	"authme/internal/login"
	"authme/internal/openapitest"
	"authme/internal/password"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testkit"
)

var secret = []byte("security tests secret, at least 32 bytes long")

// instance is one authme server on a real port over db.
type instance struct {
	URL string
	log *testkit.Buffer
}

type options struct {
	policy     auth.ThrottlePolicy
	clock      *testkit.Clock
	ratePerMin float64
	burst      int
	trustProxy []netip.Prefix
	ipv6Prefix int
	// wire adds to the server's dependencies before it starts (the mail flows, say).
	wire func(d *httpapi.Deps, users *auth.Service)
}

// start serves the real handler over db, with the server limits of cmd/authme.
func start(t *testing.T, db *store.DB, o options) instance {
	t.Helper()
	if o.clock == nil {
		o.clock = testkit.NewClock(time.Now())
	}
	if o.policy == (auth.ThrottlePolicy{}) {
		o.policy = auth.DefaultThrottle
	}
	logs := &testkit.Buffer{}
	log := logging.New(logs, false, slog.LevelInfo)
	sessions := session.NewManager(db, secret, time.Hour, time.Hour, o.clock.Now)
	users, err := auth.NewService(db, password.NewArgon2id(password.OWASP), log,
		auth.WithThrottle(db, o.policy), auth.WithClock(o.clock.Now),
		auth.WithHashGate(password.NewGate(2, 64, 2*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	deps := httpapi.Deps{
		Log: log, Accounts: login.New(users, sessions, db), CSRFKey: secret, Now: o.clock.Now,
		Sessions:   sessions,
		Ready:      db.Ping,
		TrustProxy: o.trustProxy, IPv6Prefix: o.ipv6Prefix,
	}
	if o.ratePerMin > 0 {
		// The shared bucket in the database, as cmd/authme/serve.go wires it.
		deps.AddressLimiter = db.AddressThrottle(o.ratePerMin, o.burst, o.clock.Now)
	}
	if o.wire != nil {
		o.wire(&deps, users)
	}
	h := httpapi.NewServer(deps)
	srv := httptest.NewUnstartedServer(h)
	srv.Config = httpapi.NewHTTPServer(h)
	srv.Start()
	t.Cleanup(srv.Close)
	return instance{URL: srv.URL, log: logs}
}

// client is a browser-like client: a cookie jar and the CSRF header on unsafe requests.
// Every exchange is checked against the OpenAPI document.
type client struct {
	t    *testing.T
	http *http.Client
	xsrf string
	base string
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, http: openapitest.Client(t, &http.Client{Jar: jar, Timeout: 20 * time.Second}), base: base}
	res := c.do(http.MethodGet, base+"/api/csrf/restore", "", nil)
	for _, ck := range res.cookies {
		if ck.Name == "XSRF-TOKEN" {
			c.xsrf = ck.Value
		}
	}
	if c.xsrf == "" {
		t.Fatal("no XSRF-TOKEN from /api/csrf/restore")
	}
	return c
}

type response struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends a request; an unsafe one carries the CSRF header and a JSON content type
// unless header says otherwise.
func (c *client) do(method, url, body string, header map[string]string) response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("XSRF-Token", c.xsrf)
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b), cookies: res.Cookies()}
}

func (c *client) login(base, credential, pw string) response {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"credential": credential, "password": pw})
	return c.do(http.MethodPost, base+"/api/session", string(b), nil)
}

// seed inserts the demo users.
func seed(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Seed(context.Background(), password.NewArgon2id(password.OWASP)); err != nil {
		t.Fatal(err)
	}
}

func mustURL(s string) *neturl.URL {
	u, err := neturl.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
