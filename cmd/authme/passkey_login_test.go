package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/passkey/passkeytest"
	"authme/internal/testdb"
)

func manageCases(t *testing.T, site *totpSite) {
	t.Run("ListOldestFirst", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-list")
		if got := passkeyList(t, c); len(got) != 0 {
			t.Fatalf("a new account lists %v", got)
		}
		_, first := register(t, site, c, acct.Email, "First", true)
		// Times are kept in seconds: the first is made a minute older, so the order
		// does not rest on two passkeys made within one second.
		if _, err := site.db.SQL().Exec(`UPDATE "Passkeys" SET "createdAt" = "createdAt" - 60000 WHERE "id" = $1`, first); err != nil {
			t.Fatal(err)
		}
		_, second := register(t, site, c, acct.Email, "Second", false)
		got := passkeyList(t, c)
		if len(got) != 2 || got[0]["id"] != first || got[1]["id"] != second || got[0]["name"] != "First" || got[1]["name"] != "Second" {
			t.Fatalf("list %v, want First then Second", got)
		}
		// Another account sees none of them.
		_, oc := loggedIn(t, site, "pk-list-other")
		if got := passkeyList(t, oc); len(got) != 0 {
			t.Fatalf("another account lists %v", got)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-delete")
		a, gone := register(t, site, c, acct.Email, "Old phone", true)
		_, kept := register(t, site, c, acct.Email, "Laptop", true)
		_, oc := loggedIn(t, site, "pk-delete-other")

		if r := c.do("DELETE", "/api/users/me/passkeys/no-such-passkey", map[string]string{}); r.Status != http.StatusNotFound {
			t.Errorf("delete an unknown passkey = %s, want 404", r)
		}
		// Another account's passkey is unknown to this one.
		if r := oc.do("DELETE", "/api/users/me/passkeys/"+gone, map[string]string{}); r.Status != http.StatusNotFound {
			t.Errorf("delete another account's passkey = %s, want 404", r)
		}
		// A browser logged in on the other server (after the registrations, which ended
		// the others): removing a passkey, lost or stolen, ends it.
		far := c.at(site.URLs[1])
		far.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": acct.Email, "password": mailPassword})
		ageSessions(t, site, acct.ID)
		r := c.do("DELETE", "/api/users/me/passkeys/"+gone, map[string]string{})
		if r.Status != http.StatusBadRequest || r.field(t, "errors", "password") != auth.MsgPasskeyReauth {
			t.Fatalf("delete on an old session without the password = %s, want 400 errors.password", r)
		}
		fieldError(t, c.do("DELETE", "/api/users/me/passkeys/"+gone, map[string]string{"password": "not the password"}), http.StatusBadRequest, "password")
		r = c.must(http.StatusOK, "DELETE", "/api/users/me/passkeys/"+gone, map[string]string{"password": mailPassword})
		if left := passkeysOf(t, r); len(left) != 1 || left[0]["id"] != kept {
			t.Fatalf("after the delete the answer lists %v, want only %s", left, kept)
		}
		if left := passkeyList(t, c); len(left) != 1 || left[0]["id"] != kept {
			t.Fatalf("after the delete the list is %v", left)
		}
		if c.sessionUser() != acct.Username {
			t.Errorf("the session that removed the passkey ended")
		}
		if got := far.sessionUser(); got != "" {
			t.Errorf("the account's session on the other server survived the removal (%q)", got)
		}
		m := site.mail(t, acct.Email, subjectPasskeyRemoved)
		if !strings.Contains(m.Text, "Old phone") {
			t.Errorf("the notice does not name the passkey:\n%s", m.Text)
		}
		e := waitEvent(t, c, events.PasskeyRemoved)
		if detail(e, "passkey") != gone || detail(e, "name") != "Old phone" {
			t.Errorf("passkey-removed event %v", e)
		}
		// The removed passkey logs in no more; deleting it again is 404.
		requireCredentialError(t, passkeyLogin(t, site.client(t), a), http.StatusUnauthorized, auth.MsgPasskeyRefused)
		if r := c.do("DELETE", "/api/users/me/passkeys/"+gone, map[string]string{"password": mailPassword}); r.Status != http.StatusNotFound {
			t.Errorf("delete it again = %s, want 404", r)
		}
	})
}

func passkeyLoginCases(t *testing.T, site *totpSite) {
	t.Run("SameAnswerAsPassword", func(t *testing.T) {
		t.Parallel()
		acct, c := loggedIn(t, site, "pk-login")
		a, id := register(t, site, c, acct.Email, "Laptop", true)

		pw := site.client(t)
		byPassword := pw.login(acct.Email, mailPassword)
		requireSessionBody(t, pw, byPassword)

		pc := site.client(t)
		opts, _ := beginLogin(t, pc)
		var o map[string]map[string]any
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		if o["publicKey"]["rpId"] != "localhost" || o["publicKey"]["userVerification"] != "preferred" || o["publicKey"]["allowCredentials"] != nil {
			t.Errorf("log-in options %s: want rpId localhost, userVerification preferred, no allowCredentials", opts)
		}
		cred, err := a.Login(opts)
		if err != nil {
			t.Fatal(err)
		}
		r := finishLogin(pc, cred)
		requireSessionBody(t, pc, r)
		if string(r.Body) != string(byPassword.Body) {
			t.Errorf("passkey log-in body %s, password log-in body %s", r.Body, byPassword.Body)
		}
		if got, want := cookieNames(r), cookieNames(byPassword); !slices.Equal(got, want) {
			t.Errorf("passkey log-in sets cookies %q, password log-in %q", got, want)
		}
		for _, name := range cookieNames(r) {
			a, b := setCookieOf(r, name), setCookieOf(byPassword, name)
			if a.HttpOnly != b.HttpOnly || a.Path != b.Path || a.SameSite != b.SameSite || a.Secure != b.Secure || a.MaxAge != b.MaxAge {
				t.Errorf("cookie %s: passkey's %v, password's %v", name, a, b)
			}
		}
		if pc.sessionUser() != acct.Username {
			t.Fatalf("no session after the passkey log-in")
		}
		if e := waitEvent(t, pc, events.Login); detail(e, events.DetailMethod) != "passkey" {
			t.Errorf("log-in event method %q, want passkey: %v", detail(e, events.DetailMethod), e)
		}
		list := passkeyList(t, pc)
		if len(list) != 1 || list[0]["id"] != id || list[0]["lastUsedAt"] == nil {
			t.Errorf("after a log-in the passkey's lastUsedAt is unset: %v", list)
		}
	})

	t.Run("TOTPWithoutVerificationAsksTheCode", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "pk-totp-nouv")
		a, _ := register(t, site, u.c, u.email, "Key", false)
		c := site.client(t)
		r := passkeyLogin(t, c, a)
		if r.Status != http.StatusAccepted || c.cookie(attemptCookie) == "" {
			t.Fatalf("passkey log-in without UV on a TOTP account = %s, want 202 with the attempt cookie", r)
		}
		m := r.JSON(t)
		if got := keys(m); !slices.Equal(got, []string{"secondFactor", "user"}) || m["user"] != nil {
			t.Errorf("202 body %s, want exactly {\"user\": null, \"secondFactor\": ...}", r)
		}
		if ck := setCookieOf(r, sessionCookie); ck != nil && ck.MaxAge >= 0 {
			t.Errorf("the passkey step set a session cookie: %s", ck)
		}
		if c.sessionUser() != "" {
			t.Fatalf("a session before the code")
		}
		fieldError(t, secondFactor(c, map[string]string{"code": u.wrongCode(t)}), http.StatusUnauthorized, "code")
		requireSessionBody(t, c, secondFactor(c, map[string]string{"code": u.code(t)}))
		if e := waitEvent(t, c, events.Login); detail(e, events.DetailMethod) != "passkey+totp" {
			t.Errorf("log-in event method %q, want passkey+totp: %v", detail(e, events.DetailMethod), e)
		}
	})

	t.Run("TOTPWithVerificationSkipsTheCode", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "pk-totp-uv")
		a, _ := register(t, site, u.c, u.email, "Key", true)
		c := site.client(t)
		r := passkeyLogin(t, c, a)
		requireSessionBody(t, c, r)
		if ck := setCookieOf(r, attemptCookie); (ck != nil && ck.MaxAge >= 0) || c.cookie(attemptCookie) != "" {
			t.Errorf("a verified passkey log-in left an attempt cookie")
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		t.Parallel()
		acct, owner := loggedIn(t, site, "pk-refusals")
		a, _ := register(t, site, owner, acct.Email, "Key", true)
		c := site.client(t)

		t.Run("Replay", func(t *testing.T) {
			opts, _ := beginLogin(t, c)
			cred, err := a.Login(opts)
			if err != nil {
				t.Fatal(err)
			}
			requireSessionBody(t, c, finishLogin(c, cred))
			requireCredentialError(t, finishLogin(site.client(t), cred), http.StatusBadRequest, auth.MsgPasskeyChallenge)
			requireCredentialError(t, finishLogin(c.at(site.URLs[1]), cred), http.StatusBadRequest, auth.MsgPasskeyChallenge)
		})
		t.Run("Expired", func(t *testing.T) {
			opts, ch := beginLogin(t, c)
			expireChallenge(t, site, ch)
			cred, err := a.Login(opts)
			if err != nil {
				t.Fatal(err)
			}
			requireCredentialError(t, finishLogin(c, cred), http.StatusBadRequest, auth.MsgPasskeyChallenge)
		})
		t.Run("NeverIssued", func(t *testing.T) {
			cred, err := a.Sign("bm8gc3VjaCBjaGFsbGVuZ2UgZXZlciBpc3N1ZWQ")
			if err != nil {
				t.Fatal(err)
			}
			requireCredentialError(t, finishLogin(c, cred), http.StatusBadRequest, auth.MsgPasskeyChallenge)
		})
		t.Run("WrongOrigin", func(t *testing.T) {
			for _, origin := range []string{"http://localhost:9999", "https://evil.example.test", "http://127.0.0.1:8000"} {
				b := *a
				b.Origin = origin
				requireCredentialError(t, passkeyLogin(t, site.client(t), &b), http.StatusUnauthorized, auth.MsgPasskeyRefused)
				a.Counter = b.Counter
			}
		})
		t.Run("UnknownCredential", func(t *testing.T) {
			stranger := passkeytest.New(passkeyOrigin, true)
			if _, err := stranger.Register([]byte(`{"publicKey":{"challenge":"AAAA","rp":{"id":"localhost"},"user":{"id":"AAAAAAAAAAE"}}}`)); err != nil {
				t.Fatal(err)
			}
			requireCredentialError(t, passkeyLogin(t, site.client(t), stranger), http.StatusUnauthorized, auth.MsgPasskeyRefused)
		})
		t.Run("NoCredential", func(t *testing.T) {
			beginLogin(t, c)
			fieldError(t, c.do("POST", "/api/session/passkey/finish", map[string]string{}), http.StatusBadRequest, "credential")
			fieldError(t, finishLogin(c, []byte(`{"id":"AAAA","type":"public-key"}`)), http.StatusBadRequest, "credential")
		})
		// After all these refusals the passkey still works.
		requireSessionBody(t, c, passkeyLogin(t, site.client(t), a))
	})

	t.Run("CounterGoingBackIsRefused", func(t *testing.T) {
		t.Parallel()
		acct, owner := loggedIn(t, site, "pk-clone")
		a, id := register(t, site, owner, acct.Email, "Key", true)
		first := site.client(t)
		requireSessionBody(t, first, passkeyLogin(t, first, a))
		clone := *a
		clone.Counter = 1 // the counter the server has seen is 2
		requireCredentialError(t, passkeyLogin(t, site.client(t), &clone), http.StatusUnauthorized, auth.MsgPasskeyRefused)
		e := waitEvent(t, owner, events.PasskeyRefused)
		if detail(e, "passkey") != id || detail(e, "reason") != "clone" {
			t.Errorf("passkey-refused event %v, want the passkey and reason clone", e)
		}
		if !strings.Contains(site.logs[0].String(), "cloned") {
			t.Errorf("no log line about a cloned authenticator")
		}
	})

	t.Run("DisabledAccountIs403", func(t *testing.T) {
		t.Parallel()
		acct, owner := loggedIn(t, site, "pk-disabled")
		a, _ := register(t, site, owner, acct.Email, "Key", true)
		if _, err := site.db.SQL().Exec(`UPDATE "Users" SET "disabledAt" = $1 WHERE "id" = $2`, time.Now().Unix(), acct.ID); err != nil {
			t.Fatal(err)
		}
		c := site.client(t)
		if r := passkeyLogin(t, c, a); r.Status != http.StatusForbidden {
			t.Fatalf("passkey log-in of a disabled account = %s, want 403", r)
		}
		if c.sessionUser() != "" {
			t.Fatalf("a disabled account got a session")
		}
	})

	t.Run("BegunOnOneFinishedOnTheOther", func(t *testing.T) {
		t.Parallel()
		acct, owner := loggedIn(t, site, "pk-cross")
		a, _ := register(t, site, owner, acct.Email, "Key", true)
		opts, _ := beginLogin(t, site.client(t))
		cred, err := a.Login(opts)
		if err != nil {
			t.Fatal(err)
		}
		far := newClient(t, site.URLs[1], clientIP(int(site.ips.Add(1))))
		requireSessionBody(t, far, finishLogin(far, cred))
		if far.sessionUser() != acct.Username {
			t.Fatalf("no session on the other server")
		}
	})
}

// cookieNames lists the names of the cookies an answer sets, sorted.
func cookieNames(r apiReply) []string {
	var out []string
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		out = append(out, ck.Name)
	}
	slices.Sort(out)
	return out
}

// TestPasskeysOff: with PUBLIC_URL on an IP address and no WebAuthn settings the server
// starts, says passkeys are off, and answers their endpoints 503 with the message.
func TestPasskeysOff(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startMailSite(t, tg, 1, "PUBLIC_URL", "http://127.0.0.1:8000")
		if !strings.Contains(site.logs[0].String(), "passkeys are off") {
			t.Errorf("no log line says passkeys are off:\n%s", site.logs[0].String())
		}
		_, c := loggedIn(t, &totpSite{mailSite: site}, "pk-off")
		anyAnswer := json.RawMessage(`{"id":"AAAA","type":"public-key","response":{}}`)
		for _, req := range []struct {
			cl   *apiClient
			path string
			body any
		}{
			{site.client(t), "/api/session/passkey/begin", nil},
			{site.client(t), "/api/session/passkey/finish", map[string]any{"credential": anyAnswer}},
			{c, "/api/users/me/passkeys/begin", map[string]string{}},
			{c, "/api/users/me/passkeys/finish", map[string]any{"name": "x", "credential": anyAnswer}},
		} {
			r := req.cl.do("POST", req.path, req.body)
			if r.Status != http.StatusServiceUnavailable || r.field(t, "message") != auth.MsgPasskeysOff {
				t.Errorf("POST %s with passkeys off = %s, want 503 %q", req.path, r, auth.MsgPasskeysOff)
			}
		}
		if got := passkeyList(t, c); len(got) != 0 {
			t.Errorf("list with passkeys off = %v, want empty", got)
		}
	})
}

// TestPasskeyBeginsHaveTheirOwnBucket: the page begins a passkey log-in each time it
// shows the log-in form (for the autofill), so those begins count on a bucket of their
// own: a client that shows the form more often than it may log in still logs in, and the
// begins are still limited.
func TestPasskeyBeginsHaveTheirOwnBucket(t *testing.T) {
	t.Parallel()
	site := startTOTPSite(t, testdb.Targets(t)[0], 1, append([]string{"LOGIN_RATE_PER_MINUTE", "1", "LOGIN_RATE_BURST", "2"}, passkeySettings...)...)
	c := site.client(t)
	for range 5 {
		c.must(http.StatusOK, "POST", "/api/session/passkey/begin", nil)
	}
	// The log-in bucket (burst 2) is untouched by the five begins.
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": "Demo-lition", "password": "password"})
	// The begins' own bucket (60 at once) runs out too.
	limited := false
	for range 70 {
		if r := c.do("POST", "/api/session/passkey/begin", nil); r.Status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("70 passkey begins in a row from one address were all answered")
	}
}
