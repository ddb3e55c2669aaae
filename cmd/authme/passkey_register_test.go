package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/passkey/passkeytest"
	"authme/internal/testdb"
)

// TestPasskeys runs issue 15's flows through the real program: two servers over one
// database and a real Mailpit, each case with accounts and client addresses of its own.
func TestPasskeys(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startPasskeySite(t, tg, 2)
		t.Run("Register", func(t *testing.T) { registerCases(t, site) })
		t.Run("Manage", func(t *testing.T) { manageCases(t, site) })
		t.Run("LogIn", func(t *testing.T) { passkeyLoginCases(t, site) })
	})
}

func registerCases(t *testing.T, site *totpSite) {
	t.Run("BeginWithoutSessionIs401", func(t *testing.T) {
		t.Parallel()
		c := site.client(t)
		if r := c.do("POST", "/api/users/me/passkeys/begin", map[string]string{}); r.Status != http.StatusUnauthorized {
			t.Fatalf("begin without a session = %s, want 401", r)
		}
		if r := c.do("POST", "/api/users/me/passkeys/finish", map[string]any{"name": "x", "credential": map[string]string{}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("finish without a session = %s, want 401", r)
		}
	})

	t.Run("OldSessionNeedsThePassword", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-old-session")
		ageSessions(t, site, acct.ID)
		r := c.do("POST", "/api/users/me/passkeys/begin", map[string]string{})
		if r.Status != http.StatusBadRequest || r.field(t, "errors", "password") != auth.MsgPasskeyReauth {
			t.Fatalf("begin on an old session without the password = %s, want 400 errors.password %q", r, auth.MsgPasskeyReauth)
		}
		fieldError(t, c.do("POST", "/api/users/me/passkeys/begin", map[string]string{"password": "not the password"}), http.StatusBadRequest, "password")
		opts := beginRegistration(t, c, map[string]string{"password": mailPassword})
		cred, err := passkeytest.New(passkeyOrigin, true).Register(opts)
		if err != nil {
			t.Fatal(err)
		}
		if r := finishRegistration(c, "Laptop", cred); r.Status != http.StatusCreated {
			t.Fatalf("finish after the password = %s, want 201", r)
		}
	})

	t.Run("TOTPAccountNeedsTheCode", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "pk-totp-reauth")
		ageSessions(t, site, u.id)
		path := "/api/users/me/passkeys/begin"
		fieldError(t, u.c.do("POST", path, map[string]string{"password": mailPassword}), http.StatusBadRequest, "code")
		fieldError(t, u.c.do("POST", path, map[string]string{"password": mailPassword, "code": u.wrongCode(t)}), http.StatusBadRequest, "code")
		fieldError(t, u.c.do("POST", path, map[string]string{"password": "not the password", "code": u.unspent(t)}), http.StatusBadRequest, "password")
		beginRegistration(t, u.c, map[string]string{"password": mailPassword, "code": u.code(t)})
	})

	t.Run("FinishRefusals", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-finish-refusals")
		_, oc := loggedIn(t, site, "pk-finish-other")
		answer := func(t *testing.T, origin string, opts []byte) []byte {
			t.Helper()
			cred, err := passkeytest.New(origin, true).Register(opts)
			if err != nil {
				t.Fatal(err)
			}
			return cred
		}
		cases := []struct {
			name   string
			send   func(t *testing.T) apiReply
			field  string
			msg    string // "" for any message
			status int
		}{
			{"NoCredential", func(t *testing.T) apiReply {
				beginRegistration(t, c, nil)
				return c.do("POST", "/api/users/me/passkeys/finish", map[string]string{"name": "Laptop"})
			}, "credential", "", http.StatusBadRequest},
			{"Garbage", func(t *testing.T) apiReply {
				return finishRegistration(c, "Laptop", []byte(`{"id":"AAAA","type":"public-key","response":{"clientDataJSON":"bm90IEpTT04"}}`))
			}, "credential", "", http.StatusBadRequest},
			{"NotAnObject", func(t *testing.T) apiReply {
				return finishRegistration(c, "Laptop", []byte(`"a string"`))
			}, "credential", "", http.StatusBadRequest},
			{"NameTooLong", func(t *testing.T) apiReply {
				return finishRegistration(c, strings.Repeat("é", 65), answer(t, passkeyOrigin, beginRegistration(t, c, nil)))
			}, "name", auth.MsgPasskeyName, http.StatusBadRequest},
			{"WrongOrigin", func(t *testing.T) apiReply {
				return finishRegistration(c, "Laptop", answer(t, "http://localhost:9999", beginRegistration(t, c, nil)))
			}, "credential", "The authenticator's answer was not accepted. Try again.", http.StatusBadRequest},
			{"OtherSiteOrigin", func(t *testing.T) apiReply {
				return finishRegistration(c, "Laptop", answer(t, "https://evil.example.test", beginRegistration(t, c, nil)))
			}, "credential", "The authenticator's answer was not accepted. Try again.", http.StatusBadRequest},
			{"ExpiredChallenge", func(t *testing.T) apiReply {
				opts := beginRegistration(t, c, nil)
				expireChallenge(t, site, challengeOf(t, opts))
				return finishRegistration(c, "Laptop", answer(t, passkeyOrigin, opts))
			}, "credential", auth.MsgPasskeyChallenge, http.StatusBadRequest},
			{"AnotherAccountsChallenge", func(t *testing.T) apiReply {
				// The other account's ceremony, answered and sent by this one.
				return finishRegistration(c, "Laptop", answer(t, passkeyOrigin, beginRegistration(t, oc, nil)))
			}, "credential", auth.MsgPasskeyChallenge, http.StatusBadRequest},
			{"UnknownChallenge", func(t *testing.T) apiReply {
				opts := []byte(`{"publicKey":{"challenge":"bm8gc3VjaCBjaGFsbGVuZ2UgZXZlciBpc3N1ZWQ","rp":{"id":"localhost"},"user":{"id":"AAAAAAAAAAE"}}}`)
				return finishRegistration(c, "Laptop", answer(t, passkeyOrigin, opts))
			}, "credential", auth.MsgPasskeyChallenge, http.StatusBadRequest},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.send(t)
				if r.Status != tc.status || r.field(t, "errors", tc.field) == "" || (tc.msg != "" && r.field(t, "errors", tc.field) != tc.msg) {
					t.Fatalf("got %s, want %d with errors.%s %q", r, tc.status, tc.field, tc.msg)
				}
			})
		}
		if n := len(passkeyList(t, c)); n != 0 {
			t.Fatalf("after refused registrations the account has %d passkeys", n)
		}

		// A right answer is kept once: the same answer again finds its challenge spent.
		opts := beginRegistration(t, c, nil)
		cred := answer(t, passkeyOrigin, opts)
		if r := finishRegistration(c, "Laptop", cred); r.Status != http.StatusCreated {
			t.Fatalf("finish = %s, want 201", r)
		}
		requireCredentialError(t, finishRegistration(c, "Laptop", cred), http.StatusBadRequest, auth.MsgPasskeyChallenge)
		// And on the other server too.
		requireCredentialError(t, finishRegistration(sameSession(c, site.URLs[1]), "Laptop", cred), http.StatusBadRequest, auth.MsgPasskeyChallenge)
		if n := len(passkeyList(t, c)); n != 1 {
			t.Fatalf("after one registration and its replays the account has %d passkeys", n)
		}
		site.mail(t, acct.Email, subjectPasskeyAdded)
		site.settled(t)
		if n := site.mailsTo(t, acct.Email); n != 1 {
			t.Errorf("%d mails to the account, want the one notice", n)
		}
	})

	t.Run("AddedEndsOtherSessions", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-added")
		// Other browsers of the account: one on this server, one on the other.
		same := c.at(site.URL)
		same.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": acct.Email, "password": mailPassword})
		far := c.at(site.URLs[1])
		far.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": acct.Email, "password": mailPassword})
		before := time.Now().Add(-time.Second)
		// Begun on the second server (with this browser's session), finished on the
		// first: the ceremony lives in the database.
		a := passkeytest.New(passkeyOrigin, true)
		cred, err := a.Register(beginRegistration(t, sameSession(c, site.URLs[1]), nil))
		if err != nil {
			t.Fatal(err)
		}
		r := finishRegistration(c, " Work laptop ", cred)
		if r.Status != http.StatusCreated {
			t.Fatalf("finish = %s, want 201", r)
		}
		pk, _ := r.JSON(t)["passkey"].(map[string]any)
		if got := keys(pk); strings.Join(got, ",") != "createdAt,id,lastUsedAt,name" {
			t.Errorf("passkey keys %q, want createdAt, id, lastUsedAt, name", got)
		}
		created, err := time.Parse(time.RFC3339, r.field(t, "passkey", "createdAt"))
		if pk["name"] != "Work laptop" || pk["lastUsedAt"] != nil || len(r.field(t, "passkey", "id")) < 16 ||
			err != nil || created.Before(before) || created.After(time.Now().Add(time.Second)) {
			t.Errorf("passkey %v: want the trimmed name, no last use, a random id, created now", pk)
		}
		if c.sessionUser() != acct.Username {
			t.Errorf("the registering session ended")
		}
		for name, o := range map[string]*apiClient{"this server": same, "the other server": far} {
			if got := o.sessionUser(); got != "" {
				t.Errorf("the account's session on %s survived the new passkey (%q)", name, got)
			}
		}
		m := site.mail(t, acct.Email, subjectPasskeyAdded)
		if !strings.Contains(m.Text, "Work laptop") {
			t.Errorf("the notice does not name the passkey:\n%s", m.Text)
		}
		e := waitEvent(t, c, events.PasskeyAdded)
		if detail(e, "name") != "Work laptop" || detail(e, "passkey") != r.field(t, "passkey", "id") {
			t.Errorf("passkey-added event %v, want the passkey's id and name", e)
		}
	})

	// A two-step log-in waiting for its code is ended too: whoever had the password
	// must not finish it after the owner added a key.
	t.Run("AddedEndsPendingLogIns", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "pk-added-pending")
		p := site.client(t)
		u.password(t, p)
		register(t, site, u.c, u.email, "Phone", true)
		attemptError(t, secondFactor(p, map[string]string{"code": u.unspent(t)}))
	})

	t.Run("OptionsExcludeExistingPasskeys", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-twice")
		register(t, site, c, acct.Email, "Key", true)
		// The browser must not make a second passkey on the same authenticator.
		opts := beginRegistration(t, c, nil)
		var o struct {
			PublicKey struct {
				ExcludeCredentials []struct{ ID string } `json:"excludeCredentials"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil || len(o.PublicKey.ExcludeCredentials) != 1 {
			t.Fatalf("creation options exclude %v (%v), want the one passkey", o.PublicKey.ExcludeCredentials, err)
		}
	})
}

// sameSession is another browser on base holding c's session (as one person's browser
// reaching another instance behind the same address).
func sameSession(c *apiClient, base string) *apiClient {
	c.t.Helper()
	o := c.at(base)
	o.setCookie(sessionCookie, c.cookie(sessionCookie))
	return o
}
