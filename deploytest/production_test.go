package deploytest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestProductionRefusesToStart checks that a production instance with an unsafe
// configuration stops before doing anything, with one line saying what to fix.
func TestProductionRefusesToStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"ShortJWTSecret", map[string]string{"APP_ENV": "production", "PORT": "0",
			"DATABASE_URL": "postgres://authme@127.0.0.1:1/authme?sslmode=disable", "JWT_SECRET": "too-short-a-secret"},
			[]string{"JWT_SECRET", "openssl rand -base64 48"}},
		{"MissingJWTSecret", map[string]string{"APP_ENV": "production", "PORT": "0",
			"DATABASE_URL": "postgres://authme@127.0.0.1:1/authme?sslmode=disable"},
			[]string{"JWT_SECRET", "openssl rand -base64 48"}},
		{"MissingDatabaseURL", map[string]string{"APP_ENV": "production", "PORT": "0", "JWT_SECRET": newSecret()},
			[]string{"DATABASE_URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runAuthme(t, c.env, "serve")
			if r.Code == 0 {
				t.Fatalf("authme serve started (exit 0)\nstdout:\n%s", r.Stdout)
			}
			lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), r.Stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.Stderr, w)
				}
			}
			if strings.Contains(r.Stdout, "Listening") {
				t.Errorf("it listened before refusing:\n%s", r.Stdout)
			}
		})
	}
}

// TestProductionMode checks, from outside the process, what production promises: the
// __Host- cookies and their flags, HSTS and no CORS, JSON logs without secrets or health
// checks, and the migration rules of serve and migrate.
func TestProductionMode(t *testing.T) {
	dbURL := sharedPostgres(t)
	schema := freshSchema(t, dbURL)
	// The test client stands in for the proxy in front: its X-Request-Id is kept only
	// because its address is in TRUST_PROXY.
	env := prodEnv(dbURL, schema, newSecret(), "TRUST_PROXY", "127.0.0.1,::1")
	mustRun(t, env, "migrate")
	mustRun(t, env, "seed")
	node := startAuthme(t, "authme", env, "serve")
	hc := &http.Client{Transport: newTransport(), Timeout: 20 * time.Second}
	db := openSQL(t, dbURL)
	secrets := map[string]string{} // what must never reach the log, by what it is

	t.Run("CookiesAreHostPrefixedSecureAndLax", func(t *testing.T) {
		b := newBrowser(hc)
		r := b.Must(t, 200, "GET", node.URL+"/api/csrf/restore", nil)
		got := map[string]*http.Cookie{}
		for _, c := range r.Cookies {
			got[c.Name] = c
		}
		for _, old := range []string{"_csrf", "token"} {
			if got[old] != nil {
				t.Errorf("production set the development cookie %q", old)
			}
		}
		checkCookie(t, got["__Host-csrf"], "__Host-csrf", true)
		checkCookie(t, got["XSRF-TOKEN"], "XSRF-TOKEN", false)
		secrets["the CSRF secret"] = b.Cookie("__Host-csrf")

		r = b.Must(t, 200, "POST", node.URL+"/api/session", login("Demo-lition", "password"))
		var tok *http.Cookie
		for _, c := range r.Cookies {
			if c.Name == "__Host-token" {
				tok = c
			}
		}
		checkCookie(t, tok, "__Host-token", true)
		if tok != nil && tok.MaxAge != 604800 {
			t.Errorf("__Host-token Max-Age = %d, want 604800 (JWT_EXPIRES_IN)", tok.MaxAge)
		}
		secrets["a session token"] = b.Cookie("__Host-token")

		r = b.Must(t, 200, "DELETE", node.URL+"/api/session", nil)
		for _, c := range r.Cookies {
			// A browser ignores a __Host- cookie, deletion included, without Secure and Path=/.
			if c.Name == "__Host-token" && (c.MaxAge >= 0 || !c.Secure || c.Path != "/") {
				t.Errorf("log-out's __Host-token = %s, want a Secure, Path=/ deletion", c)
			}
		}
		if b.Cookie("__Host-token") != "" {
			t.Error("log-out did not clear __Host-token")
		}
	})

	t.Run("HSTSAndNoCORSEvenForAnOrigin", func(t *testing.T) {
		b := newBrowser(hc)
		for _, req := range []struct{ method, path string }{{"GET", "/hello/world"}, {"GET", "/api/csrf/restore"}, {"OPTIONS", "/api/session"}} {
			r, err := b.Do(req.method, node.URL+req.path, nil, "Origin", "https://app.elsewhere.example",
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, xsrf-token")
			if err != nil {
				t.Fatal(err)
			}
			if r.Header.Get("Strict-Transport-Security") == "" {
				t.Errorf("%s %s: no Strict-Transport-Security", req.method, req.path)
			}
			for k := range r.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("%s %s with an Origin: %s: %s", req.method, req.path, k, r.Header.Get(k))
				}
			}
		}
		// And an unsafe request from that other site is refused, CSRF token or not.
		b.Restore(t, node.URL)
		r, err := b.Do("POST", node.URL+"/api/session", login("Demo-lition", "password"),
			"Origin", "https://app.elsewhere.example", "Sec-Fetch-Site", "cross-site")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 403 {
			t.Errorf("cross-site log-in = %s, want 403", r)
		}
	})

	t.Run("LogIsJSONWithoutSecretsOrHealthChecks", func(t *testing.T) {
		pw := "plum-kestrel-" + randomHex(6)
		wrong := "wrong-heron-" + randomHex(6)
		name := "Logged" + randomHex(4)
		b := newBrowser(hc)
		b.Restore(t, node.URL)
		secrets["the XSRF token"] = b.Cookie("XSRF-TOKEN")
		secrets["a password"], secrets["a wrong password"] = pw, wrong
		b.Must(t, 201, "POST", node.URL+"/api/users", signup(name, name+"@example.com", pw))
		secrets["the sign-up's token"] = b.Cookie("__Host-token")
		b.Must(t, 401, "POST", node.URL+"/api/session", login(name, wrong))
		r := b.Must(t, 200, "POST", node.URL+"/api/session", login(name, pw))
		secrets["the log-in's token"] = b.Cookie("__Host-token")
		if r.Header.Get("X-Request-Id") != r.RequestID {
			t.Errorf("X-Request-Id = %q, want ours, %q", r.Header.Get("X-Request-Id"), r.RequestID)
		}
		for range 3 {
			b.Must(t, 200, "GET", node.URL+"/healthz", nil)
			b.Must(t, 200, "GET", node.URL+"/readyz", nil)
		}
		node.Stop() // every line is out

		var found bool
		for _, e := range node.LogEntries() {
			if e["msg"] != "request" {
				continue
			}
			for _, k := range []string{"method", "path", "status", "request_id"} {
				if _, ok := e[k]; !ok {
					t.Errorf("request line without %s: %v", k, e)
				}
			}
			if p := e["path"]; p == "/healthz" || p == "/readyz" {
				t.Errorf("health check logged at the default level: %v", e)
			}
			if e["request_id"] == r.RequestID {
				found = e["method"] == "POST" && e["path"] == "/api/session" && e["status"] == float64(200)
			}
		}
		if !found {
			t.Errorf("no log line for our log-in with request_id %s, method, path and status 200", r.RequestID)
		}
		log := node.stdout.String() + node.stderr.String()
		for what, s := range secrets {
			if s == "" {
				t.Errorf("the test never saw %s", what)
			} else if strings.Contains(log, s) {
				t.Errorf("the log contains %s", what)
			}
		}
	})

	t.Run("ServeRefusesPendingMigrations", func(t *testing.T) {
		env := prodEnv(dbURL, freshSchema(t, dbURL), newSecret())
		r := runAuthme(t, env, "serve")
		if r.Code == 0 || !strings.Contains(r.Stderr, "authme migrate") || !strings.Contains(r.Stderr, "authme serve --migrate") {
			t.Fatalf("serve on an unmigrated schema: exit %d, stderr %q; want a refusal naming `authme migrate` and `authme serve --migrate`", r.Code, r.Stderr)
		}
		if strings.Contains(r.Stdout, "Listening") {
			t.Errorf("it listened before refusing:\n%s", r.Stdout)
		}
	})

	t.Run("ServeMigrateMigratesAndServes", func(t *testing.T) {
		schema := freshSchema(t, dbURL)
		n := startAuthme(t, "authme --migrate", prodEnv(dbURL, schema, newSecret()), "serve", "--migrate")
		if !strings.Contains(n.stdout.String(), "applied migration 0001_create_users") {
			t.Errorf("serve --migrate did not say it migrated:\n%s", n.stdout)
		}
		b := newBrowser(hc)
		b.Must(t, 200, "GET", n.URL+"/readyz", nil)
		b.Restore(t, n.URL)
		b.Must(t, 201, "POST", n.URL+"/api/users", signup("FirstUser", "first@example.com", "amber tundra falcon"))
		n.Stop()
		// A second start has nothing left to apply, and plain serve accepts the schema.
		n = startAuthme(t, "authme again", prodEnv(dbURL, schema, newSecret()), "serve")
		if strings.Contains(n.stdout.String(), "applied migration") {
			t.Errorf("a second start migrated again:\n%s", n.stdout)
		}
		n.Stop()
	})

	t.Run("MigrateCreatesTheSchema", func(t *testing.T) {
		schema := freshSchema(t, dbURL)
		if schemaExists(t, db, schema) {
			t.Fatalf("schema %s exists before the test", schema)
		}
		out := mustRun(t, prodEnv(dbURL, schema, newSecret()), "migrate")
		if !schemaExists(t, db, schema) {
			t.Fatalf("authme migrate did not create schema %s; it printed:\n%s", schema, out)
		}
		var tables int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('Users', 'Sessions')`, schema).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 2 {
			t.Errorf("schema %s has %d of Users and Sessions", schema, tables)
		}
		if out := mustRun(t, prodEnv(dbURL, schema, newSecret()), "migrate"); !strings.Contains(out, "no pending migrations") {
			t.Errorf("a second migrate printed %q", out)
		}
	})
}

// checkCookie checks the production flags: Secure, Path=/, SameSite=Lax, no Domain, and
// HttpOnly as asked.
func checkCookie(t *testing.T, c *http.Cookie, name string, httpOnly bool) {
	t.Helper()
	if c == nil {
		t.Errorf("no %s cookie", name)
		return
	}
	if !c.Secure || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.Domain != "" || c.HttpOnly != httpOnly || c.Value == "" {
		t.Errorf("%s = %s; want Secure, Path=/, SameSite=Lax, no Domain, HttpOnly=%v", name, c, httpOnly)
	}
}
