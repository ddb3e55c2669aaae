package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// wantCookieFlags fails unless r sets name with a value and the contract's flags: Path=/,
// HttpOnly as given, Secure and SameSite=Lax exactly in production, and maxAge (0 for a
// browser-session cookie).
func wantCookieFlags(t *testing.T, r *response, name string, httpOnly, prod bool, maxAge int) *http.Cookie {
	t.Helper()
	ck := r.cookie(name)
	if ck == nil || ck.Value == "" {
		t.Fatalf("no %s cookie in Set-Cookie %q", name, r.header.Values("Set-Cookie"))
	}
	wantSameSite := http.SameSite(0) // no attribute
	if prod {
		wantSameSite = http.SameSiteLaxMode
	}
	if ck.Path != "/" || ck.HttpOnly != httpOnly || ck.Secure != prod || ck.SameSite != wantSameSite || ck.MaxAge != maxAge {
		t.Fatalf("%s cookie %q: want Path=/, HttpOnly=%v, Secure=%v, SameSite=%v, MaxAge=%d", name, ck.Raw, httpOnly, prod, wantSameSite, maxAge)
	}
	if prod && !strings.Contains(ck.Raw, "SameSite=Lax") {
		t.Fatalf("%s cookie %q has no SameSite=Lax", name, ck.Raw)
	}
	return ck
}

// TestCookies checks each cookie's flags from the raw Set-Cookie headers, in development
// and in production.
func TestCookies(t *testing.T) {
	t.Parallel()
	ttl := int(testTTL.Seconds())
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		forEachMode(t, func(t *testing.T, prod bool) {
			h := newHarness(t, tg, harnessOptions{prod: prod})
			t.Run("HelloSetsCSRFSecretAndXSRFToken", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				r := c.do(http.MethodGet, "/hello/world", nil)
				wantCookieFlags(t, r, "_csrf", true, prod, 0)
				wantCookieFlags(t, r, "XSRF-TOKEN", false, prod, 0)
				again := c.do(http.MethodGet, "/hello/world", nil)
				if again.cookie("_csrf") != nil {
					t.Errorf("_csrf set again although the client has one: %q", again.cookie("_csrf").Raw)
				}
				wantCookieFlags(t, again, "XSRF-TOKEN", false, prod, 0)
			})
			t.Run("RestoreSetsXSRFToken", func(t *testing.T) {
				t.Parallel()
				r := h.client(t).do(http.MethodGet, "/api/csrf/restore", nil)
				wantCookieFlags(t, r, "_csrf", true, prod, 0)
				ck := wantCookieFlags(t, r, "XSRF-TOKEN", false, prod, 0)
				if got := r.jsonObject(t)["XSRF-Token"]; got != ck.Value {
					t.Fatalf("body token %v, cookie %q: want the same", got, ck.Value)
				}
			})
			t.Run("CSRFSecretOnAnyResponseWhenAbsent", func(t *testing.T) {
				// Every answer that sets a new secret sets exactly one XSRF-TOKEN made
				// for it, so whichever answer of a first visit a browser applies last
				// leaves a pair that works.
				t.Parallel()
				for _, rq := range []struct{ method, path string }{
					{"GET", "/api/session"},
					{"GET", "/api/users/me"},   // 401
					{"GET", "/api/nope"},       // 404
					{"GET", "/api/users"},      // 405
					{"POST", "/api/session"},   // 403: no token
					{"DELETE", "/api/session"}, // 403
					{"HEAD", "/api/session"},
					{"GET", "/api/csrf/restore"},
					{"GET", "/hello/world"},
					{"GET", "/"},
					{"GET", "/healthz"},
				} {
					r := h.client(t).do(rq.method, rq.path, nil)
					secret := wantCookieFlags(t, r, "_csrf", true, prod, 0)
					tok := wantCookieFlags(t, r, "XSRF-TOKEN", false, prod, 0)
					if n := strings.Count(strings.Join(r.header.Values("Set-Cookie"), "\n"), "XSRF-TOKEN="); n != 1 {
						t.Errorf("%s %s set XSRF-TOKEN %d times, want once", rq.method, rq.path, n)
					}
					if secret != nil && tok != nil && !h.server.csrf.verify(secret.Value, tok.Value) {
						t.Errorf("%s %s: XSRF-TOKEN %q was not made for the _csrf it set", rq.method, rq.path, tok.Value)
					}
				}
			})
			t.Run("NoXSRFTokenWhenTheSecretIsKept", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				c.do(http.MethodGet, "/api/session", nil)
				if r := c.do(http.MethodGet, "/api/session", nil); r.cookie("_csrf") != nil || r.cookie("XSRF-TOKEN") != nil {
					t.Errorf("a client with a secret got new CSRF cookies: %q", r.header.Values("Set-Cookie"))
				}
			})
			t.Run("MalformedCSRFSecretIsReplaced", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				c.setJarCookie("_csrf", "not-a-secret")
				r := c.do(http.MethodGet, "/api/session", nil)
				ck := wantCookieFlags(t, r, "_csrf", true, prod, 0)
				if ck.Value == "not-a-secret" || len(ck.Value) != csrfSecretLen {
					t.Fatalf("_csrf %q, want a new secret", ck.Value)
				}
			})
			t.Run("Names", func(t *testing.T) {
				// The seed's names in development; in production the HttpOnly cookies
				// carry the __Host- prefix, which browsers honour only with Secure,
				// Path=/ and no Domain.
				t.Parallel()
				c := h.client(t)
				c.csrfToken()
				r := c.login(demoUsername, demoPassword)
				want := map[string]bool{"token": true, "device": true}
				if prod {
					want = map[string]bool{"__Host-token": true, "__Host-device": true}
				}
				got := map[string]bool{}
				for _, ck := range r.cookies {
					got[ck.Name] = true
					if strings.HasPrefix(ck.Name, "__Host-") && (!ck.Secure || ck.Path != "/" || ck.Domain != "") {
						t.Errorf("%q breaks the __Host- rules", ck.Raw)
					}
				}
				if len(got) != len(want) || !got[h.cookieName("token")] || !want[h.cookieName("token")] || !got[h.cookieName("device")] {
					t.Errorf("log-in set cookies %v, want %v", got, want)
				}
				first := h.client(t).do(http.MethodGet, "/hello/world", nil)
				names := map[string]bool{}
				for _, ck := range first.cookies {
					names[ck.Name] = true
				}
				wantCSRF := map[bool]string{false: "_csrf", true: "__Host-csrf"}[prod]
				if len(names) != 2 || !names[wantCSRF] || !names["XSRF-TOKEN"] {
					t.Errorf("first visit set cookies %v, want %s and XSRF-TOKEN", names, wantCSRF)
				}
			})
			t.Run("LoginSetsToken", func(t *testing.T) {
				t.Parallel()
				r := h.client(t).login(demoUsername, demoPassword)
				wantStatus(t, r, http.StatusOK)
				ck := wantCookieFlags(t, r, "token", true, prod, ttl)
				claims := jwtPayload(t, ck.Value)
				if exp, iat := claims["exp"].(float64), claims["iat"].(float64); int(exp-iat) != ttl {
					t.Fatalf("token lives %v s (exp %v, iat %v), want the cookie's %d", exp-iat, exp, iat, ttl)
				}
			})
			t.Run("SignupSetsToken", func(t *testing.T) {
				t.Parallel()
				name := "Cookie" + map[bool]string{false: "Dev", true: "Prod"}[prod]
				r := h.client(t).signup(name, strings.ToLower(name)+"@user.io", "blue-otter-rides-9")
				wantStatus(t, r, http.StatusCreated)
				wantCookieFlags(t, r, "token", true, prod, ttl)
			})
			t.Run("DeviceCookieOutlivesLogout", func(t *testing.T) {
				// The known-device cookie: HttpOnly, lasting months, left by log-in and
				// sign-up, and not cleared by log-out (it is what lets the owner log in
				// while their account is under attack).
				t.Parallel()
				c := h.client(t)
				r := c.login(demoUsername, demoPassword)
				wantStatus(t, r, http.StatusOK)
				ck := wantCookieFlags(t, r, "device", true, prod, int(auth.DefaultDeviceTTL/time.Second))
				out := c.send(http.MethodDelete, "/api/session", nil)
				wantStatus(t, out, http.StatusOK)
				if out.cookie(h.cookieName("device")) != nil {
					t.Fatal("log-out touched the device cookie")
				}
				if c.jarCookie("device") != ck.Value {
					t.Fatal("the client lost its device cookie at log-out")
				}
				name := "Device" + map[bool]string{false: "Dev", true: "Prod"}[prod]
				su := h.client(t).signup(name, strings.ToLower(name)+"@user.io", "blue-otter-rides-9")
				wantStatus(t, su, http.StatusCreated)
				wantCookieFlags(t, su, "device", true, prod, int(auth.DefaultDeviceTTL/time.Second))
			})
			t.Run("LogoutClearsToken", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				c.mustLogin(demoEmail, demoPassword)
				r := c.send(http.MethodDelete, "/api/session", nil)
				wantStatus(t, r, http.StatusOK)
				wantCleared(t, r, "token")
				ck := r.cookie("token")
				if !ck.HttpOnly || ck.Secure != prod || (ck.SameSite == http.SameSiteLaxMode) != prod {
					t.Fatalf("clearing cookie %q must carry the token's flags", ck.Raw)
				}
				if c.jarCookie("token") != "" {
					t.Fatal("the client still holds a token after logout")
				}
			})
		})
	})
}

// jwtPayload decodes a JWT's claims without checking anything.
func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return m
}
