package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"authme/internal/password"
	"authme/internal/testdb"
)

// TestAPI runs the contract's request/response scenarios, each from a new client that
// has a CSRF token when csrf is set.
func TestAPI(t *testing.T) {
	t.Parallel()
	const badLogin = `{"message":"Bad Request","errors":{"credential":"Email or username is required","password":"Password is required"}}`
	const invalidCredentials = `{"message":"Invalid credentials"}`
	const notFound = `{"message":"The requested resource couldn't be found."}`
	const methodNotAllowed = `{"message":"Method Not Allowed"}`
	scenarios := []struct {
		name         string
		method, path string
		body         any
		csrf         bool
		status       int
		want         string // the exact JSON body
		allow        string // the Allow header of a 405
	}{
		{name: "SessionWithoutTokenIsNull", method: "GET", path: "/api/session", status: 200, want: `{"user":null}`},
		{name: "MeWithoutTokenIs401", method: "GET", path: "/api/users/me", status: 401, want: `{"message":"Authentication required"}`},

		{name: "LoginWithoutFieldsIs400", method: "POST", path: "/api/session", body: map[string]string{}, csrf: true, status: 400, want: badLogin},
		{name: "LoginWithEmptyBodyIs400", method: "POST", path: "/api/session", body: "", csrf: true, status: 400, want: badLogin},
		{name: "LoginWithNullBodyIs400", method: "POST", path: "/api/session", body: "null", csrf: true, status: 400, want: badLogin},
		{name: "LoginWithEmptyFieldsIs400", method: "POST", path: "/api/session", body: map[string]string{"credential": "", "password": ""}, csrf: true, status: 400, want: badLogin},
		{name: "LoginWithoutCredentialIs400", method: "POST", path: "/api/session", body: map[string]string{"password": demoPassword}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"credential":"Email or username is required"}}`},
		{name: "LoginWithBlankCredentialIs400", method: "POST", path: "/api/session", body: map[string]string{"credential": " \t ", "password": demoPassword}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"credential":"Email or username is required"}}`},
		{name: "LoginWithoutPasswordIs400", method: "POST", path: "/api/session", body: map[string]string{"credential": demoUsername}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"password":"Password is required"}}`},
		{name: "LoginUnknownUserIs401", method: "POST", path: "/api/session", body: map[string]string{"credential": "nobody-here", "password": demoPassword}, csrf: true, status: 401, want: invalidCredentials},
		{name: "LoginUnknownEmailIs401", method: "POST", path: "/api/session", body: map[string]string{"credential": "nobody@user.io", "password": demoPassword}, csrf: true, status: 401, want: invalidCredentials},
		{name: "LoginWrongPasswordIs401", method: "POST", path: "/api/session", body: map[string]string{"credential": demoUsername, "password": "wrong password"}, csrf: true, status: 401, want: invalidCredentials},
		{name: "LoginPasswordIsCaseSensitive", method: "POST", path: "/api/session", body: map[string]string{"credential": demoEmail, "password": "PASSWORD"}, csrf: true, status: 401, want: invalidCredentials},
		{name: "LoginOtherDemoUsersPasswordIs401", method: "POST", path: "/api/session", body: map[string]string{"credential": demoUsername, "password": "password2"}, csrf: true, status: 401, want: invalidCredentials},
		{name: "LoginNULInCredentialIs401", method: "POST", path: "/api/session", body: map[string]string{"credential": "Demo\x00-lition", "password": demoPassword}, csrf: true, status: 401, want: invalidCredentials},

		{name: "SignupWithoutFieldsIs400", method: "POST", path: "/api/users", body: map[string]string{}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"username":"Please provide a username with 4 to 30 characters.","email":"Please provide a valid email.","password":"Password must be 8 to 256 characters."}}`},
		{name: "SignupUsernameIsEmailIs400", method: "POST", path: "/api/users", body: map[string]string{"username": "me@mail.io", "email": "me@mail.io", "password": "long enough"}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"username":"Username cannot be an email."}}`},
		{name: "SignupShortPasswordIs400", method: "POST", path: "/api/users", body: map[string]string{"username": "shorty", "email": "shorty@user.io", "password": "1234567"}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"password":"Password must be 8 to 256 characters."}}`},
		{name: "SignupBadEmailIs400", method: "POST", path: "/api/users", body: map[string]string{"username": "bademail", "email": "not an email", "password": "long enough"}, csrf: true, status: 400,
			want: `{"message":"Bad Request","errors":{"email":"Please provide a valid email."}}`},
		{name: "SignupTakenEmailIs409", method: "POST", path: "/api/users", body: map[string]string{"username": "NewName", "email": demoEmail, "password": "long enough"}, csrf: true, status: 409,
			want: `{"message":"User already exists","errors":{"email":"User with that email already exists"}}`},
		{name: "SignupTakenEmailInOtherCaseIs409", method: "POST", path: "/api/users", body: map[string]string{"username": "NewName2", "email": "DEMO@User.IO", "password": "long enough"}, csrf: true, status: 409,
			want: `{"message":"User already exists","errors":{"email":"User with that email already exists"}}`},
		{name: "SignupTakenUsernameIs409", method: "POST", path: "/api/users", body: map[string]string{"username": demoUsername, "email": "new1@user.io", "password": "long enough"}, csrf: true, status: 409,
			want: `{"message":"User already exists","errors":{"username":"User with that username already exists"}}`},
		{name: "SignupTakenUsernameInOtherCaseIs409", method: "POST", path: "/api/users", body: map[string]string{"username": "dEMO-LITION", "email": "new2@user.io", "password": "long enough"}, csrf: true, status: 409,
			want: `{"message":"User already exists","errors":{"username":"User with that username already exists"}}`},
		{name: "SignupBothTakenIs409NamingBoth", method: "POST", path: "/api/users", body: map[string]string{"username": "fakeuser1", "email": "USER1@user.io", "password": "long enough"}, csrf: true, status: 409,
			want: `{"message":"User already exists","errors":{"email":"User with that email already exists","username":"User with that username already exists"}}`},

		{name: "UnknownAPIPathIs404", method: "GET", path: "/api/nope", status: 404, want: notFound},
		{name: "PathBelowSessionIs404", method: "GET", path: "/api/session/extra", status: 404, want: notFound},
		{name: "PathsAreCaseSensitive", method: "GET", path: "/API/SESSION", status: 404, want: notFound},
		{name: "UnknownPathPostIs404", method: "POST", path: "/api/nope", body: map[string]string{}, csrf: true, status: 404, want: notFound},
		{name: "DotDotPathIs404", method: "GET", path: "/api/../../etc/passwd", status: 404, want: notFound},

		{name: "PutSessionIs405", method: "PUT", path: "/api/session", body: map[string]string{}, csrf: true, status: 405, want: methodNotAllowed, allow: "DELETE, GET, HEAD, POST"},
		{name: "GetUsersIs405", method: "GET", path: "/api/users", status: 405, want: methodNotAllowed, allow: "POST"},
		{name: "PostMeIs405", method: "POST", path: "/api/users/me", body: map[string]string{}, csrf: true, status: 405, want: methodNotAllowed, allow: "DELETE, GET, HEAD"},
		{name: "DeleteHelloIs405", method: "DELETE", path: "/hello/world", csrf: true, status: 405, want: methodNotAllowed, allow: "GET, HEAD"},
		{name: "PostCSRFRestoreIs405", method: "POST", path: "/api/csrf/restore", csrf: true, status: 405, want: methodNotAllowed, allow: "GET, HEAD"},
		{name: "OptionsSessionIs405", method: "OPTIONS", path: "/api/session", status: 405, want: methodNotAllowed, allow: "DELETE, GET, HEAD, POST"},
	}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				var r *response
				if sc.csrf {
					r = c.send(sc.method, sc.path, sc.body)
				} else {
					r = c.do(sc.method, sc.path, sc.body)
				}
				wantStatus(t, r, sc.status)
				wantBody(t, r, sc.want)
				if sc.allow != "" && r.header.Get("Allow") != sc.allow {
					t.Errorf("Allow %q, want %q", r.header.Get("Allow"), sc.allow)
				}
				if sc.status >= 400 && r.cookie("token") != nil && r.cookie("token").Value != "" {
					t.Errorf("a failed request set a token: %s", r.cookie("token").Raw)
				}
			})
		}
	})
}

func TestHelloWorld(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		c := newHarness(t, tg, harnessOptions{}).client(t)
		r := c.do(http.MethodGet, "/hello/world", nil)
		wantStatus(t, r, http.StatusOK)
		if string(r.body) != "Hello World!" {
			t.Errorf("body %q, want Hello World!", r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q, want text/plain", ct)
		}
		if ck := r.cookie("XSRF-TOKEN"); ck == nil || ck.Value == "" {
			t.Errorf("no XSRF-TOKEN cookie in %q", r.header.Values("Set-Cookie"))
		}
	})
}

func TestCSRFRestore(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		c := newHarness(t, tg, harnessOptions{}).client(t)
		r := c.do(http.MethodGet, "/api/csrf/restore", nil)
		wantStatus(t, r, http.StatusOK)
		body := r.jsonObject(t)
		tok, ok := body["XSRF-Token"].(string)
		if !ok || tok == "" || len(body) != 1 {
			t.Fatalf("body %s, want {\"XSRF-Token\": token}", r.body)
		}
		if ck := r.cookie("XSRF-TOKEN"); ck == nil || ck.Value != tok {
			t.Fatalf("XSRF-TOKEN cookie %v, want the body's token %q", ck, tok)
		}
		again := c.do(http.MethodGet, "/api/csrf/restore", nil).jsonObject(t)["XSRF-Token"]
		if again == tok {
			t.Errorf("a second restore gave the same token %q, want a fresh one", tok)
		}
	})
}

// TestLogin logs in by username and by email in any case, and the session then holds.
func TestLogin(t *testing.T) {
	t.Parallel()
	credentials := []struct{ name, credential string }{
		{"ByUsername", demoUsername},
		{"ByUsernameLowerCase", "demo-lition"},
		{"ByUsernameUpperCase", "DEMO-LITION"},
		{"ByEmail", demoEmail},
		{"ByEmailUpperCase", "DEMO@USER.IO"},
		{"ByEmailMixedCase", "Demo@User.Io"},
	}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		for _, tc := range credentials {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				r := c.login(tc.credential, demoPassword)
				wantStatus(t, r, http.StatusOK)
				u := wantUser(t, r, demoUsername, demoEmail)
				if ck := r.cookie("token"); ck == nil || ck.Value == "" {
					t.Fatalf("no token cookie in %q", r.header.Values("Set-Cookie"))
				}
				if got := c.sessionUser(); got == nil || got["id"] != u["id"] {
					t.Fatalf("GET /api/session user %v, want %v", got, u)
				}
				me := c.do(http.MethodGet, "/api/users/me", nil)
				wantStatus(t, me, http.StatusOK)
				wantUser(t, me, demoUsername, demoEmail)
			})
		}
		t.Run("UnknownUserAndWrongPasswordLookTheSame", func(t *testing.T) {
			t.Parallel()
			c := h.client(t)
			unknown := c.login("no-such-user", demoPassword)
			wrong := c.login(demoUsername, "not the password")
			if unknown.status != http.StatusUnauthorized || wrong.status != unknown.status || !bytes.Equal(unknown.body, wrong.body) {
				t.Fatalf("unknown user %d %s, wrong password %d %s: want identical 401s", unknown.status, unknown.body, wrong.status, wrong.body)
			}
			if unknown.cookie("token") != nil || wrong.cookie("token") != nil {
				t.Errorf("a failed log-in set a token cookie")
			}
		})
		t.Run("FormBodyLogsIn", func(t *testing.T) {
			t.Parallel()
			c := h.client(t)
			form := "credential=" + demoEmail + "&password=" + demoPassword + "&_csrf=" + c.csrfToken()
			r := c.do(http.MethodPost, "/api/session", form, "Content-Type", "application/x-www-form-urlencoded")
			wantStatus(t, r, http.StatusOK)
			wantUser(t, r, demoUsername, demoEmail)
		})
		t.Run("JSONWithoutContentTypeLogsIn", func(t *testing.T) {
			t.Parallel()
			c := h.client(t)
			r := c.send(http.MethodPost, "/api/session", `{"credential":"demo@user.io","password":"password"}`, "Content-Type", "")
			wantStatus(t, r, http.StatusOK)
			wantUser(t, r, demoUsername, demoEmail)
		})
		t.Run("StaleTokenCookieDoesNotStopALogIn", func(t *testing.T) {
			t.Parallel()
			c := h.client(t)
			c.setJarCookie("token", "stale.garbage.token")
			r := c.login(demoUsername, demoPassword)
			wantStatus(t, r, http.StatusOK)
			if ck := r.cookie("token"); ck == nil || ck.Value == "" || ck.MaxAge <= 0 {
				t.Fatalf("the last token Set-Cookie %v must set the new token; all: %q", ck, r.header.Values("Set-Cookie"))
			}
			if c.sessionUser() == nil {
				t.Fatal("not logged in after logging in over a stale token")
			}
		})
	})
}

// TestLogout ends the session for good: the token copied before logging out no longer
// authenticates anywhere.
func TestLogout(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		t.Run("EndsTheSessionRow", func(t *testing.T) {
			t.Parallel()
			c := h.client(t)
			tok := c.mustLogin(demoUsername, demoPassword)
			r := c.send(http.MethodDelete, "/api/session", nil)
			wantStatus(t, r, http.StatusOK)
			wantBody(t, r, `{"message":"success"}`)
			wantCleared(t, r, "token")
			if u := c.sessionUser(); u != nil {
				t.Fatalf("still logged in as %v after logout", u)
			}

			replay := h.client(t)
			s := replay.do(http.MethodGet, "/api/session", nil, "Cookie", h.cookieName("token")+"="+tok)
			wantStatus(t, s, http.StatusOK)
			wantBody(t, s, `{"user":null}`)
			wantCleared(t, s, "token")
			me := replay.do(http.MethodGet, "/api/users/me", nil, "Cookie", h.cookieName("token")+"="+tok)
			wantStatus(t, me, http.StatusUnauthorized)
			wantBody(t, me, `{"message":"Authentication required"}`)
			wantCleared(t, me, "token")
		})
		t.Run("OtherSessionsOfTheUserLive", func(t *testing.T) {
			t.Parallel()
			laptop, phone := h.client(t), h.client(t)
			laptop.mustLogin(demoEmail, demoPassword)
			phone.mustLogin(demoEmail, demoPassword)
			wantStatus(t, laptop.send(http.MethodDelete, "/api/session", nil), http.StatusOK)
			if phone.sessionUser() == nil {
				t.Fatal("logging out on one client ended the other client's session")
			}
		})
		t.Run("WithoutSessionIsStillSuccess", func(t *testing.T) {
			t.Parallel()
			r := h.client(t).send(http.MethodDelete, "/api/session", nil)
			wantStatus(t, r, http.StatusOK)
			wantBody(t, r, `{"message":"success"}`)
			wantCleared(t, r, "token")
		})
	})
}

func TestSignup(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		c := h.client(t)
		r := c.signup("NewPerson", "new.person@user.io", "a good password")
		wantStatus(t, r, http.StatusCreated)
		u := wantUser(t, r, "NewPerson", "new.person@user.io")
		if ck := r.cookie("token"); ck == nil || ck.Value == "" {
			t.Fatalf("no token cookie in %q", r.header.Values("Set-Cookie"))
		}
		me := c.do(http.MethodGet, "/api/users/me", nil)
		wantStatus(t, me, http.StatusOK)
		if got := wantUser(t, me, "NewPerson", "new.person@user.io"); got["id"] != u["id"] {
			t.Fatalf("/api/users/me id %v, want %v", got["id"], u["id"])
		}
		// The new account logs in elsewhere, by either name, in any case.
		other := h.client(t)
		wantUser(t, other.login("NEW.PERSON@USER.IO", "a good password"), "NewPerson", "new.person@user.io")
		wantUser(t, other.login("newperson", "a good password"), "NewPerson", "new.person@user.io")
		// And the name is now taken, in any case.
		again := h.client(t).signup("newPERSON", "another@user.io", "a good password")
		wantStatus(t, again, http.StatusConflict)
		wantBody(t, again, `{"message":"User already exists","errors":{"username":"User with that username already exists"}}`)
	})
}

// TestNewSessionEndsThePrevious: logging in or signing up while logged in ends the old
// session, so its token stops working.
func TestNewSessionEndsThePrevious(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		cases := []struct {
			name   string
			start  func(c *client) *response
			status int
			user   string
		}{
			{"LoginAgain", func(c *client) *response { return c.login(demoEmail, demoPassword) }, http.StatusOK, demoUsername},
			{"LoginAsOther", func(c *client) *response { return c.login("FakeUser1", "password2") }, http.StatusOK, "FakeUser1"},
			{"Signup", func(c *client) *response { return c.signup("Replacer", "replacer@user.io", "blue-otter-rides-9") }, http.StatusCreated, "Replacer"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				old := c.mustLogin(demoUsername, demoPassword)
				r := tc.start(c)
				wantStatus(t, r, tc.status)
				ck := r.cookie("token")
				if ck == nil || ck.Value == "" || ck.Value == old {
					t.Fatalf("token cookie %v, want a new token", ck)
				}
				if u := c.sessionUser(); u == nil || u["username"] != tc.user {
					t.Fatalf("session user %v, want %s", u, tc.user)
				}
				replay := h.client(t).do(http.MethodGet, "/api/session", nil, "Cookie", h.cookieName("token")+"="+old)
				wantBody(t, replay, `{"user":null}`)
				wantCleared(t, replay, "token")
				fresh := h.client(t).do(http.MethodGet, "/api/users/me", nil, "Cookie", h.cookieName("token")+"="+ck.Value)
				wantStatus(t, fresh, http.StatusOK)
			})
		}
	})
}

// TestNoPasswordHashLeaks logs in users with Argon2id and bcrypt hashes; the invariants
// checked on every response (helpers_test.go) refuse any hash in a body or header.
func TestNoPasswordHashLeaks(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		hash, err := password.NewBcrypt(4).Hash("bcrypt password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := testdb.CreateUser(context.Background(), h.db, "FromExpress", "express@user.io", hash); err != nil {
			t.Fatal(err)
		}
		c := h.client(t)
		for _, step := range []func() *response{
			func() *response { return c.login("FromExpress", "bcrypt password") },
			func() *response { return c.do(http.MethodGet, "/api/session", nil) },
			func() *response { return c.do(http.MethodGet, "/api/users/me", nil) },
			func() *response { return c.login("express@user.io", "bcrypt password") }, // now Argon2id
			func() *response { return c.login("FromExpress", "wrong password") },
			func() *response { return c.signup("Plainname", "plainname@user.io", "blue-otter-rides-9") },
			func() *response { return c.signup("Plainname", "plainname@user.io", "blue-otter-rides-9") },
			func() *response { return c.do(http.MethodGet, "/api/users/me", nil) },
		} {
			r := step()
			if bytes.Contains(r.body, []byte("hash")) || bytes.Contains(r.body, []byte("assword\":")) {
				t.Errorf("response %s mentions a hash or password field", r.body)
			}
		}
	})
}
