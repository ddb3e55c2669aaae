package httpapi

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"authme/internal/logging"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// TestSecurityHeaders checks helmet's headers on successes and errors alike.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"Cross-Origin-Resource-Policy": "cross-origin",
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "SAMEORIGIN",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"X-Dns-Prefetch-Control":       "off",
	}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		forEachMode(t, func(t *testing.T, prod bool) {
			h := newHarness(t, tg, harnessOptions{prod: prod})
			requests := []struct {
				name string
				send func(c *client) *response
			}{
				{"Hello", func(c *client) *response { return c.do(http.MethodGet, "/hello/world", nil) }},
				{"Restore", func(c *client) *response { return c.do(http.MethodGet, "/api/csrf/restore", nil) }},
				{"Session", func(c *client) *response { return c.do(http.MethodGet, "/api/session", nil) }},
				{"Login", func(c *client) *response { return c.login(demoUsername, demoPassword) }},
				{"BadLogin", func(c *client) *response { return c.login("", "") }},
				{"Unauthorized", func(c *client) *response { return c.do(http.MethodGet, "/api/users/me", nil) }},
				{"CSRFRefused", func(c *client) *response { return c.do(http.MethodPost, "/api/session", nil) }},
				{"NotFound", func(c *client) *response { return c.do(http.MethodGet, "/api/nope", nil) }},
				{"MethodNotAllowed", func(c *client) *response { return c.do(http.MethodGet, "/api/users", nil) }},
				{"TooLarge", func(c *client) *response {
					return c.send(http.MethodPost, "/api/session", strings.Repeat(" ", MaxBodyBytes+1))
				}},
				{"Head", func(c *client) *response { return c.do(http.MethodHead, "/api/session", nil) }},
			}
			for _, rq := range requests {
				t.Run(rq.name, func(t *testing.T) {
					t.Parallel()
					r := rq.send(h.client(t))
					for k, v := range want {
						if got := r.header.Get(k); got != v {
							t.Errorf("%s: %q, want %q", k, got, v)
						}
					}
					if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
						t.Errorf("Content-Security-Policy %q, want one with default-src 'self'", csp)
					}
					hsts := r.header.Get("Strict-Transport-Security")
					if prod && !strings.HasPrefix(hsts, "max-age=") {
						t.Errorf("Strict-Transport-Security %q, want max-age=… in production", hsts)
					}
					if !prod && hsts != "" {
						t.Errorf("Strict-Transport-Security %q in development, want none", hsts)
					}
					if v, ok := r.header["X-Powered-By"]; ok {
						t.Errorf("X-Powered-By %q, want none", v)
					}
				})
			}
		})
	})
}

// TestCORS: development echoes a trusted origin (config's default: localhost and
// 127.0.0.1 on any port) with credentials; production sends no Access-Control headers.
func TestCORS(t *testing.T) {
	t.Parallel()
	const origin = "http://localhost:3000"
	accessControl := func(r *response) []string {
		var names []string
		for k := range r.header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				names = append(names, k)
			}
		}
		return names
	}
	login := map[string]string{"credential": demoUsername, "password": demoPassword}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("Development", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			t.Run("TrustedOriginIsEchoedWithCredentials", func(t *testing.T) {
				t.Parallel()
				for _, o := range []string{origin, "http://localhost:5173", "http://127.0.0.1:8000", "http://localhost"} {
					r := h.client(t).do(http.MethodGet, "/api/session", nil, "Origin", o)
					wantStatus(t, r, http.StatusOK)
					if got := r.header.Get("Access-Control-Allow-Origin"); got != o {
						t.Errorf("Access-Control-Allow-Origin %q, want %q", got, o)
					}
					if got := r.header.Get("Access-Control-Allow-Credentials"); got != "true" {
						t.Errorf("Access-Control-Allow-Credentials %q, want true", got)
					}
					if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
						t.Errorf("Vary %q, want Origin", r.header.Values("Vary"))
					}
				}
			})
			t.Run("OtherOriginsGetNoCORSHeaders", func(t *testing.T) {
				t.Parallel()
				for _, o := range []string{"https://evil.example", "null", "http://localhost.evil.example", "http://localhost:3000.evil.example", "http://localhost:", "https://localhost:3000"} {
					r := h.client(t).do(http.MethodGet, "/api/session", nil, "Origin", o)
					if names := accessControl(r); len(names) > 0 {
						t.Errorf("origin %q got %v", o, names)
					}
					if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
						t.Errorf("origin %q: Vary %q, want Origin", o, r.header.Values("Vary"))
					}
				}
			})
			t.Run("NoOriginNoCORSHeaders", func(t *testing.T) {
				t.Parallel()
				if names := accessControl(h.client(t).do(http.MethodGet, "/api/session", nil)); len(names) > 0 {
					t.Fatalf("headers %v without an Origin", names)
				}
			})
			t.Run("PreflightIs204", func(t *testing.T) {
				t.Parallel()
				r := h.client(t).do(http.MethodOptions, "/api/session", nil, "Origin", origin,
					"Access-Control-Request-Method", "DELETE", "Access-Control-Request-Headers", "xsrf-token,content-type")
				wantStatus(t, r, http.StatusNoContent)
				if got := r.header.Get("Access-Control-Allow-Origin"); got != origin {
					t.Errorf("Access-Control-Allow-Origin %q, want %q", got, origin)
				}
				if got := r.header.Get("Access-Control-Allow-Credentials"); got != "true" {
					t.Errorf("Access-Control-Allow-Credentials %q, want true", got)
				}
				methods := r.header.Get("Access-Control-Allow-Methods")
				for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
					if !strings.Contains(methods, m) {
						t.Errorf("Access-Control-Allow-Methods %q lacks %s", methods, m)
					}
				}
				if got := r.header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "xsrf-token") {
					t.Errorf("Access-Control-Allow-Headers %q, want the requested xsrf-token", got)
				}
				if len(r.body) != 0 {
					t.Errorf("preflight body %q, want none", r.body)
				}
			})
			t.Run("PreflightFromOtherOriginIsNotAnswered", func(t *testing.T) {
				t.Parallel()
				r := h.client(t).do(http.MethodOptions, "/api/session", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
				if r.status == http.StatusNoContent || len(accessControl(r)) > 0 {
					t.Fatalf("%d with %v, want no preflight answer", r.status, accessControl(r))
				}
			})
			t.Run("TrustedOriginStillNeedsACSRFToken", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				c.csrfToken()
				r := c.do(http.MethodPost, "/api/session", login, "Origin", origin)
				wantStatus(t, r, http.StatusForbidden)
				wantBody(t, r, `{"message":"invalid csrf token"}`)
				ok := c.send(http.MethodPost, "/api/session", login, "Origin", origin)
				wantStatus(t, ok, http.StatusOK)
			})
		})
		t.Run("Production", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{prod: true})
			for _, rq := range []struct {
				name   string
				method string
				header []string
			}{
				{"Get", http.MethodGet, []string{"Origin", origin}},
				{"Preflight", http.MethodOptions, []string{"Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "xsrf-token"}},
			} {
				t.Run(rq.name+"HasNoCORSHeaders", func(t *testing.T) {
					t.Parallel()
					r := h.client(t).do(rq.method, "/api/session", nil, rq.header...)
					if names := accessControl(r); len(names) > 0 {
						t.Fatalf("production sent %v", names)
					}
					if r.status == http.StatusNoContent {
						t.Fatal("production answered a preflight")
					}
				})
			}
		})
	})
}

// TestCrossOrigin: an unsafe request from another site is refused even with a good CSRF
// token; same-origin and non-browser requests pass.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	login := map[string]string{"credential": demoUsername, "password": demoPassword}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		forEachMode(t, func(t *testing.T, prod bool) {
			h := newHarness(t, tg, harnessOptions{prod: prod})
			self := strings.TrimPrefix(strings.TrimPrefix(h.ts.URL, "http://"), "https://")
			cases := []struct {
				name   string
				header []string
				status int
			}{
				{"NoBrowserHeadersIs200", nil, 200},
				{"SameOriginFetchIs200", []string{"Sec-Fetch-Site", "same-origin"}, 200},
				{"UserTypedIs200", []string{"Sec-Fetch-Site", "none"}, 200},
				{"OriginOfThisHostIs200", []string{"Origin", h.ts.URL}, 200},
				{"CrossSiteFetchIs403", []string{"Sec-Fetch-Site", "cross-site"}, 403},
				{"SameSiteFetchIs403", []string{"Sec-Fetch-Site", "same-site"}, 403},
				{"OtherOriginIs403", []string{"Origin", "https://evil.example"}, 403},
				{"OtherHostSamePortIs403", []string{"Origin", "http://192.0.2.1:" + strings.Split(self, ":")[1]}, 403},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					c := h.client(t)
					r := c.send(http.MethodPost, "/api/session", login, tc.header...)
					wantStatus(t, r, tc.status)
					if tc.status == http.StatusForbidden {
						wantBody(t, r, `{"message":"Cross-origin request refused"}`)
						if c.sessionUser() != nil {
							t.Fatal("a refused cross-origin log-in logged in")
						}
					}
				})
			}
			t.Run("SafeMethodsPass", func(t *testing.T) {
				t.Parallel()
				r := h.client(t).do(http.MethodGet, "/api/csrf/restore", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
				wantStatus(t, r, http.StatusOK)
			})
		})
	})
}

// logLines returns the log lines that mention id, once there is one.
func logLines(t *testing.T, logs *testkit.Buffer, id string) []string {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(waitForLog(t, logs, id), "\n") {
		if strings.Contains(line, id) {
			lines = append(lines, line)
		}
	}
	return lines
}

// requestLogged waits for the request line of id and checks that it names method, path
// and status, as JSON in production and as text in development.
func requestLogged(t *testing.T, logs *testkit.Buffer, prod bool, id, method, path string, status int) {
	t.Helper()
	text := regexp.MustCompile(`^\d\d:\d\d:\d\d ` + regexp.QuoteMeta(method+" "+path+" "+strconv.Itoa(status)) +
		` [\d.]+ ms - \d+ request_id=` + regexp.QuoteMeta(id) + `$`)
	matches := func(line string) bool {
		if !prod {
			return text.MatchString(line)
		}
		var rec map[string]any
		return json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" && rec["method"] == method &&
			rec["path"] == path && rec["status"] == float64(status) && rec["request_id"] == id
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := logLines(t, logs, id)
		for _, line := range lines {
			if matches(line) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request line %s %s %d for request_id %s in %q", method, path, status, id, lines)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRequestID echoes a sane X-Request-Id from a trusted proxy, replaces any other, and
// logs it.
func TestRequestID(t *testing.T) {
	t.Parallel()
	generated := regexp.MustCompile(`^[0-9a-f]{12}-[0-9a-z]+$`) // a per-server prefix and a counter
	loopback := loopbackProxies()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		forEachMode(t, func(t *testing.T, prod bool) {
			h := newHarness(t, tg, harnessOptions{prod: prod, trustProxy: loopback})
			t.Run("IDFromAnUntrustedPeerIsReplaced", func(t *testing.T) {
				// Anyone can send the header; only a proxy in TRUST_PROXY is believed,
				// so a client cannot pick the id its requests are logged under.
				t.Parallel()
				for _, trusted := range [][]netip.Prefix{nil, {netip.MustParsePrefix("10.0.0.0/8")}} {
					direct := newHarness(t, tg, harnessOptions{prod: prod, trustProxy: trusted})
					r := direct.client(t).do(http.MethodGet, "/api/session", nil, "X-Request-Id", "chosen-by-client")
					got := r.header.Get("X-Request-Id")
					if !generated.MatchString(got) {
						t.Fatalf("TRUST_PROXY %v: X-Request-Id %q, want a generated id in place of the client's", trusted, got)
					}
					requestLogged(t, direct.logs, prod, got, "GET", "/api/session", 200)
					if strings.Contains(direct.logs.String(), "chosen-by-client") {
						t.Fatalf("the log holds the client's id:\n%s", direct.logs.String())
					}
				}
			})
			t.Run("SaneIDFromATrustedProxyIsEchoedAndLogged", func(t *testing.T) {
				t.Parallel()
				for _, id := range []string{"abc-123", "req_42.retry:1", strings.Repeat("x", 64), "0f8fad5b-d9cb-469f-a165-70867728950e"} {
					r := h.client(t).do(http.MethodGet, "/api/session", nil, "X-Request-Id", id)
					if got := r.header.Get("X-Request-Id"); got != id {
						t.Fatalf("X-Request-Id %q, want %q echoed", got, id)
					}
					requestLogged(t, h.logs, prod, id, "GET", "/api/session", 200)
				}
			})
			t.Run("MissingIDIsGenerated", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				a := c.do(http.MethodGet, "/api/nope", nil).header.Get("X-Request-Id")
				b := c.do(http.MethodGet, "/api/nope", nil).header.Get("X-Request-Id")
				if !generated.MatchString(a) || !generated.MatchString(b) || a == b {
					t.Fatalf("generated ids %q and %q, want two different 24-hex-digit ids", a, b)
				}
				requestLogged(t, h.logs, prod, a, "GET", "/api/nope", 404)
			})
			insane := []struct{ name, id string }{
				{"TooLong", strings.Repeat("a", 500)},
				{"JustTooLong", strings.Repeat("a", 65)},
				{"Space", "abc def"},
				{"Quote", `abc"def`},
				{"LogForgery", `x request_id=forged`},
				{"JSONForgery", `x","level":"ERROR`},
				{"Markup", "<script>alert(1)</script>"},
				{"NonASCII", "réquest"},
				{"Slash", "a/b"},
			}
			for _, tc := range insane {
				t.Run(tc.name+"IsReplaced", func(t *testing.T) {
					t.Parallel()
					r := h.client(t).do(http.MethodGet, "/api/session", nil, "X-Request-Id", tc.id)
					got := r.header.Get("X-Request-Id")
					if !generated.MatchString(got) {
						t.Fatalf("X-Request-Id %q, want a generated id in place of %q", got, tc.id)
					}
					requestLogged(t, h.logs, prod, got, "GET", "/api/session", 200)
					if strings.Contains(h.logs.String(), tc.id) {
						t.Fatalf("the log holds the refused id %q", tc.id)
					}
				})
			}
			t.Run("NewlineIsReplaced", func(t *testing.T) {
				// A header cannot hold a raw newline; an obsolete line fold is the nearest
				// thing, and Go joins it with a space. Send it over a raw connection.
				t.Parallel()
				res := rawRequest(t, h, "GET /api/session HTTP/1.1\r\nHost: authme\r\nX-Request-Id: folded\r\n 12:00:00 forged line\r\nConnection: close\r\n\r\n")
				got := res.Header.Get("X-Request-Id")
				if res.StatusCode == http.StatusOK && !generated.MatchString(got) {
					t.Fatalf("X-Request-Id %q, want a generated one for a folded header", got)
				}
				if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 200 or the server's 400", res.StatusCode)
				}
				if strings.Contains(h.logs.String(), "forged") {
					t.Fatalf("the log holds the folded id:\n%s", h.logs.String())
				}
			})
		})
	})
}

// rawRequest writes req byte for byte to the server and reads the response.
func rawRequest(t *testing.T, h *harness, req string) *http.Response {
	t.Helper()
	addr := h.ts.Listener.Addr().String()
	var conn net.Conn
	var err error
	if h.prod {
		conn, err = tls.Dial("tcp", addr, h.ts.Client().Transport.(*http.Transport).TLSClientConfig)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // the read fails instead
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body) //nolint:errcheck
	res.Body.Close()
	return res
}

// TestLogsHoldNoSecrets signs up, logs in and out, and fails to log in, then searches the
// log for every secret that passed through.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		forEachMode(t, func(t *testing.T, prod bool) {
			h := newHarness(t, tg, harnessOptions{prod: prod, trustProxy: loopbackProxies()}) // its X-Request-Id marks the log line
			const (
				pw        = "Zebra-Quartz-Pw-5150"
				wrongPw   = "Wrong-Walrus-Pw-8080"
				bodyMark  = "BODY-MARKER-4f1c"
				queryMark = "QUERY-MARKER-9e2a"
			)
			c := h.client(t)
			xsrf := c.csrfToken()
			secret := c.jarCookie("_csrf")
			su := c.send(http.MethodPost, "/api/users", map[string]string{"username": "LogProbe", "email": "log.probe@user.io", "password": pw, "note": bodyMark})
			wantStatus(t, su, http.StatusCreated)
			signupToken := su.cookie("token").Value
			wantStatus(t, c.send(http.MethodDelete, "/api/session", nil), http.StatusOK)
			wantStatus(t, c.login("LogProbe", wrongPw), http.StatusUnauthorized)
			wantStatus(t, c.login("log.probe@user.io", ""), http.StatusBadRequest)
			wantStatus(t, c.send(http.MethodPost, "/api/session", `{"credential":"LogProbe","password":"`+pw+`"`), http.StatusBadRequest)
			loginToken := c.mustLogin("LogProbe", pw)
			c.do(http.MethodGet, "/api/session?token="+queryMark, nil)
			last := c.do(http.MethodGet, "/api/users/me", nil, "X-Request-Id", "last-request")
			wantStatus(t, last, http.StatusOK)
			out := waitForLog(t, h.logs, "last-request")

			secrets := map[string]string{"password": pw, "wrong password": wrongPw, "_csrf secret": secret,
				"XSRF token": xsrf, "body": bodyMark, "query": queryMark}
			for _, tok := range []string{signupToken, loginToken} {
				secrets["token"] = tok
				for i, part := range strings.Split(tok, ".") {
					secrets["token part "+strconv.Itoa(i)] = part
				}
			}
			for what, s := range secrets {
				if s == "" {
					t.Fatalf("no %s to look for", what)
				}
				if strings.Contains(out, s) {
					t.Errorf("the log holds the %s %q:\n%s", what, s, out)
				}
			}
			if lines := strings.Count(out, "\n"); lines < 8 {
				t.Errorf("only %d log lines for 9 requests:\n%s", lines, out)
			}
		})
	})
}

// TestLogsCannotBeForged: a request path with line breaks must not start a log line.
func TestLogsCannotBeForged(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		forEachMode(t, func(t *testing.T, prod bool) {
			h := newHarness(t, tg, harnessOptions{prod: prod, trustProxy: loopbackProxies()}) // its X-Request-Id marks the log line
			for i, path := range []string{
				"/api/nope%0A12:00:00%20GET%20/admin%20200%200.1%20ms%20-%200%20request_id=forged",
				"/api/nope%0D%0A12:00:00%20GET%20/admin%20200",
				"/api/nope%0D12:00:00%20GET%20/admin%20200",
				`/api/nope%0A%7B%22msg%22:%22request%22,%22path%22:%22/admin%22%7D`,
			} {
				id := "forge-" + strconv.Itoa(i)
				r := h.client(t).do(http.MethodGet, path, nil, "X-Request-Id", id)
				wantStatus(t, r, http.StatusNotFound)
				waitForLog(t, h.logs, id)
				for _, l := range strings.Split(h.logs.String(), "\n") {
					if strings.HasPrefix(l, "12:00:00") || strings.HasPrefix(l, `{"msg"`) {
						t.Fatalf("path %s forged the log line %q", path, l)
					}
				}
				if strings.Contains(h.logs.String(), "\r") {
					t.Fatalf("the log holds a carriage return:\n%q", h.logs.String())
				}
			}
		})
	})
}

// TestRecoverPanics: a panicking handler becomes a JSON 500 and a logged stack, and the
// server goes on serving.
func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, prod bool) {
		logs := &testkit.Buffer{}
		s := NewServer(Deps{Log: logging.New(logs, prod, slog.LevelInfo), CSRFKey: []byte(testSecret), Production: prod, Now: time.Now, TrustProxy: loopbackProxies()})
		ts := httptest.NewServer(s.logRequests(s.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/panic":
				panic("boom: the test handler panicked")
			case "/abort":
				panic(http.ErrAbortHandler)
			}
			io.WriteString(w, "fine") //nolint:errcheck
		}))))
		t.Cleanup(ts.Close)
		get := func(path, id string) (*http.Response, []byte, error) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
			req.Header.Set("X-Request-Id", id)
			res, err := ts.Client().Do(req)
			if err != nil {
				return nil, nil, err
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			return res, b, err
		}

		res, body, err := get("/panic", "panicky")
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%d %s %q, want a JSON 500", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if strings.TrimSpace(string(body)) != `{"message":"Internal Server Error"}` {
			t.Fatalf("body %s, want {\"message\":\"Internal Server Error\"}", body)
		}
		out := waitForLog(t, logs, "boom: the test handler panicked")
		for _, want := range []string{"panic", "goroutine", "TestRecoverPanics", "panicky"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		requestLogged(t, logs, prod, "panicky", "GET", "/panic", 500)
		if strings.Contains(string(body), "boom") || strings.Contains(string(body), "goroutine") {
			t.Errorf("the response shows the panic: %s", body)
		}

		if res, body, err := get("/fine", "after"); err != nil || res.StatusCode != http.StatusOK || string(body) != "fine" {
			t.Fatalf("after a panic: %v %v %q, want the server still serving", res, err, body)
		}
		if _, _, err := get("/abort", "aborted"); err == nil {
			t.Error("http.ErrAbortHandler was answered, want the connection dropped")
		}
		if out := logs.String(); strings.Count(out, "boom: the test handler panicked") != 1 || strings.Contains(out, http.ErrAbortHandler.Error()) {
			t.Errorf("want one logged panic, for /panic and none for /abort:\n%s", out)
		}
	})
}

// loopbackProxies trusts the test client as a proxy, so the X-Request-Id it sends is
// kept and marks the request's log line.
func loopbackProxies() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}
