package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authme/internal/testdb"
)

func TestCSRFVerify(t *testing.T) {
	t.Parallel()
	c := newCSRF([]byte(testSecret))
	secretA, secretB := randomString(csrfSecretBytes), randomString(csrfSecretBytes)
	tokA := c.token(secretA)

	t.Run("TokenVerifiesForItsSecret", func(t *testing.T) {
		t.Parallel()
		if !c.verify(secretA, tokA) {
			t.Fatalf("token %q does not verify for its own secret", tokA)
		}
		if len(tokA) != csrfTokenLen {
			t.Fatalf("token %q has length %d, want %d", tokA, len(tokA), csrfTokenLen)
		}
	})
	t.Run("FreshTokensDifferAndAllVerify", func(t *testing.T) {
		t.Parallel()
		seen := map[string]bool{}
		for range 200 {
			tok := c.token(secretA)
			if seen[tok] {
				t.Fatalf("token %q made twice", tok)
			}
			seen[tok] = true
			if !c.verify(secretA, tok) {
				t.Fatalf("fresh token %q does not verify", tok)
			}
		}
	})
	t.Run("OtherServerKeyFails", func(t *testing.T) {
		t.Parallel()
		other := newCSRF([]byte("another server's key, also long enough"))
		if other.verify(secretA, tokA) {
			t.Fatal("a token verified under another server key")
		}
		if c.verify(secretA, other.token(secretA)) {
			t.Fatal("another server's token verified here")
		}
	})
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := []struct {
		name, secret, token string
	}{
		{"TokenForSecretAFailsOnSecretB", secretB, tokA},
		{"TokenForSecretBFailsOnSecretA", secretA, c.token(secretB)},
		{"EmptyTokenFails", secretA, ""},
		{"EmptySecretFails", "", tokA},
		{"TokenForEmptySecretFails", "", c.token("")},
		{"TruncatedByOneFails", secretA, tokA[:len(tokA)-1]},
		{"SaltOnlyFails", secretA, tokA[:csrfSaltLen]},
		{"SaltAndDotFails", secretA, tokA[:csrfSaltLen+1]},
		{"MACOnlyFails", secretA, tokA[csrfSaltLen+1:]},
		{"ExtendedFails", secretA, tokA + "A"},
		{"MACFirstCharFlippedFails", secretA, flip(tokA, csrfSaltLen+1)},
		{"MACLastCharFlippedFails", secretA, flip(tokA, len(tokA)-1)},
		{"SaltFlippedFails", secretA, flip(tokA, 0)},
		{"DotMovedFails", secretA, tokA[1:csrfSaltLen] + "." + tokA[csrfSaltLen:]},
		{"NoDotFails", secretA, strings.Replace(tokA, ".", "A", 1)},
		{"GarbageOfTheRightShapeFails", secretA, strings.Repeat("A", csrfSaltLen) + "." + strings.Repeat("A", csrfMACLen)},
		{"GarbageFails", secretA, "garbage"},
		{"SecretAsTokenFails", secretA, secretA},
		{"NonBase64SecretFails", strings.Repeat("!", csrfSecretLen), c.token(strings.Repeat("!", csrfSecretLen))},
		{"ShortSecretFails", secretA[:csrfSecretLen-1], c.token(secretA[:csrfSecretLen-1])},
		{"LongSecretFails", secretA + "A", c.token(secretA + "A")},
		{"MultibyteFails", secretA, strings.Repeat("é", csrfTokenLen/2)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if c.verify(tc.secret, tc.token) {
				t.Fatalf("verify(%q, %q) = true, want false", tc.secret, tc.token)
			}
		})
	}
}

// TestCSRF drives the CSRF check through the server: a log-in is refused unless it
// carries a token made for the client's own _csrf secret.
func TestCSRF(t *testing.T) {
	t.Parallel()
	const refused = `{"message":"invalid csrf token"}`
	login := map[string]string{"credential": demoUsername, "password": demoPassword}
	loginJSON := `{"credential":"Demo-lition","password":"password"`
	scenarios := []struct {
		name string
		// req sends the log-in from c; other is a second client with its own secret.
		req    func(c, other *client) *response
		status int
	}{
		{"NoTokenIs403", func(c, _ *client) *response {
			c.csrfToken() // has the cookies, sends no token
			return c.do(http.MethodPost, "/api/session", login)
		}, 403},
		{"NoCookiesNoTokenIs403", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", login)
		}, 403},
		{"XSRFTokenHeaderIs200", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", c.csrfToken())
		}, 200},
		{"XXSRFTokenHeaderIs200", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", login, "X-XSRF-Token", c.csrfToken())
		}, 200},
		{"CSRFTokenHeaderIs200", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", login, "CSRF-Token", c.csrfToken())
		}, 200},
		{"XCSRFTokenHeaderIs200", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", login, "X-CSRF-Token", c.csrfToken())
		}, 200},
		{"LowerCaseHeaderIs200", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", login, "xsrf-token", c.csrfToken())
		}, 200},
		{"JSONBodyFieldIs200", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", loginJSON+`,"_csrf":"`+c.csrfToken()+`"}`)
		}, 200},
		{"FormBodyFieldIs200", func(c, _ *client) *response {
			form := url.Values{"credential": {demoUsername}, "password": {demoPassword}, "_csrf": {c.csrfToken()}}.Encode()
			return c.do(http.MethodPost, "/api/session", form, "Content-Type", "application/x-www-form-urlencoded")
		}, 200},
		{"WrongBodyFieldIs403", func(c, _ *client) *response {
			c.csrfToken()
			return c.do(http.MethodPost, "/api/session", loginJSON+`,"_csrf":"garbage"}`)
		}, 403},
		{"BodyFieldOfTextBodyIs403", func(c, _ *client) *response {
			return c.do(http.MethodPost, "/api/session", loginJSON+`,"_csrf":"`+c.csrfToken()+`"}`, "Content-Type", "text/plain")
		}, 403},
		{"EmptyHeaderIs403", func(c, _ *client) *response {
			c.csrfToken()
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", "")
		}, 403},
		{"GarbageHeaderIs403", func(c, _ *client) *response {
			c.csrfToken()
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", "garbage")
		}, 403},
		{"TruncatedTokenIs403", func(c, _ *client) *response {
			tok := c.csrfToken()
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", tok[:len(tok)-1])
		}, 403},
		{"SecretAsTokenIs403", func(c, _ *client) *response {
			c.csrfToken()
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", c.jarCookie("_csrf"))
		}, 403},
		{"OtherClientsTokenIs403", func(c, other *client) *response {
			c.csrfToken()
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", other.csrfToken())
		}, 403},
		{"TokenWithoutSecretCookieIs403", func(c, other *client) *response {
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", other.csrfToken())
		}, 403},
		{"TokenWithOtherSecretCookieIs403", func(c, other *client) *response {
			tok := c.csrfToken()
			other.csrfToken()
			c.setJarCookie("_csrf", other.jarCookie("_csrf"))
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", tok)
		}, 403},
		{"StolenTokenAndSecretIs200", func(c, other *client) *response {
			// Both halves together are what a same-origin page has; the check is for
			// cross-site requests, which cannot read either.
			tok := other.csrfToken()
			c.setJarCookie("_csrf", other.jarCookie("_csrf"))
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", tok)
		}, 200},
		{"OldTokenStillVerifiesIs200", func(c, _ *client) *response {
			old := c.csrfToken()
			c.do(http.MethodGet, "/api/csrf/restore", nil) // a newer token
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", old)
		}, 200},
		{"HelloTokenIs200", func(c, _ *client) *response {
			c.do(http.MethodGet, "/hello/world", nil)
			return c.do(http.MethodPost, "/api/session", login, "XSRF-Token", c.jarCookie("XSRF-TOKEN"))
		}, 200},
	}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				r := sc.req(c, h.client(t))
				wantStatus(t, r, sc.status)
				if sc.status == http.StatusForbidden {
					wantBody(t, r, refused)
					if r.cookie("token") != nil {
						t.Fatalf("a refused log-in set %q", r.cookie("token").Raw)
					}
					if u := c.sessionUser(); u != nil {
						t.Fatalf("a refused log-in logged in as %v", u)
					}
					return
				}
				wantUser(t, r, demoUsername, demoEmail)
			})
		}
		t.Run("UnsafeMethodsNeedAToken", func(t *testing.T) {
			t.Parallel()
			for _, rq := range []struct{ method, path string }{
				{"POST", "/api/session"}, {"POST", "/api/users"}, {"DELETE", "/api/session"},
				{"PUT", "/api/session"}, {"PATCH", "/api/users"}, {"POST", "/api/nope"},
			} {
				c := h.client(t)
				c.csrfToken()
				r := c.do(rq.method, rq.path, map[string]string{})
				if r.status != http.StatusForbidden {
					t.Errorf("%s %s without a token: %d %s, want 403", rq.method, rq.path, r.status, r.body)
				}
			}
		})
		t.Run("LogoutWithoutTokenKeepsTheSession", func(t *testing.T) {
			t.Parallel()
			c := h.client(t)
			c.mustLogin(demoUsername, demoPassword)
			r := c.do(http.MethodDelete, "/api/session", nil)
			wantStatus(t, r, http.StatusForbidden)
			wantBody(t, r, refused)
			if c.sessionUser() == nil {
				t.Fatal("a refused logout ended the session")
			}
		})
		t.Run("SafeMethodsNeedNoToken", func(t *testing.T) {
			t.Parallel()
			for _, rq := range []struct {
				method, path string
				status       int
			}{
				{"GET", "/api/session", 200}, {"HEAD", "/api/session", 200}, {"GET", "/hello/world", 200},
				{"HEAD", "/api/csrf/restore", 200}, {"OPTIONS", "/api/session", 405}, {"OPTIONS", "/api/nope", 404},
			} {
				r := h.client(t).do(rq.method, rq.path, nil)
				if r.status != rq.status {
					t.Errorf("%s %s: %d %s, want %d", rq.method, rq.path, r.status, r.body, rq.status)
				}
			}
		})
	})
}
