package main

// The API tests of passkeys (issue 15) run the real program as the two-factor tests do:
// run("serve") on port 0, two servers over one database (SQLite, and PostgreSQL when
// configured) and a real Mailpit, so a ceremony begun on one server is finished on the
// other. The authenticator is passkeytest's software one, answering as a browser's
// PublicKeyCredential.toJSON() would.
//
// WebAuthn refuses IP addresses as a relying party, and the test client speaks to
// 127.0.0.1; so the servers are told the relying party is localhost and the page's
// origin is passkeyOrigin, which is what the authenticator writes into its client data.
// Both servers share that one origin, as instances behind one public address do: the
// origin is the page's, never the instance's own port.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"authme/internal/auth"
	"authme/internal/passkey/passkeytest"
	"authme/internal/testdb"
)

// passkeyOrigin is the page's origin the servers accept (WEBAUTHN_ORIGINS).
const passkeyOrigin = "http://localhost:8000"

// Subjects of the passkey notices, as the templates write them.
const (
	subjectPasskeyAdded   = "A passkey was added to your account"
	subjectPasskeyRemoved = "A passkey was removed from your account"
)

// passkeySettings are the servers' WebAuthn settings.
var passkeySettings = []string{"WEBAUTHN_RP_ID", "localhost", "WEBAUTHN_ORIGINS", passkeyOrigin}

// startPasskeySite starts n servers with passkeys on (and TOTP, for the accounts that
// have both) over a fresh database on tg.
func startPasskeySite(t *testing.T, tg testdb.Target, n int) *totpSite {
	t.Helper()
	return startTOTPSite(t, tg, n, passkeySettings...)
}

// loggedIn makes an account called name and logs a new client in to it with the password.
func loggedIn(t *testing.T, s *totpSite, name string) (auth.User, *apiClient) {
	t.Helper()
	acct := s.account(t, name, name+"@example.test")
	c := s.client(t)
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": acct.Email, "password": mailPassword})
	return acct, c
}

// beginRegistration asks for creation options (body is {} when nil) and requires 200.
func beginRegistration(t *testing.T, c *apiClient, body any) []byte {
	t.Helper()
	if body == nil {
		body = map[string]string{}
	}
	r := c.must(http.StatusOK, "POST", "/api/users/me/passkeys/begin", body)
	if r.field(t, "publicKey", "challenge") == "" || r.field(t, "publicKey", "rp", "id") != "localhost" {
		t.Fatalf("creation options without a challenge or for another relying party: %s", r)
	}
	return r.Body
}

// finishRegistration sends an authenticator's answer under name.
func finishRegistration(c *apiClient, name string, credential []byte) apiReply {
	c.t.Helper()
	return c.do("POST", "/api/users/me/passkeys/finish", map[string]any{"name": name, "credential": json.RawMessage(credential)})
}

// register adds a passkey called name to the account c is logged in to (recently) and
// returns the authenticator holding it and the passkey's id; it claims the notice mail.
func register(t *testing.T, s *totpSite, c *apiClient, email, name string, verify bool) (*passkeytest.Authenticator, string) {
	t.Helper()
	a := passkeytest.New(passkeyOrigin, verify)
	cred, err := a.Register(beginRegistration(t, c, nil))
	if err != nil {
		t.Fatal(err)
	}
	r := finishRegistration(c, name, cred)
	if r.Status != http.StatusCreated {
		t.Fatalf("finish registration = %s, want 201", r)
	}
	s.mail(t, email, subjectPasskeyAdded)
	return a, r.field(t, "passkey", "id")
}

// beginLogin asks for log-in options and returns them and their challenge.
func beginLogin(t *testing.T, c *apiClient) ([]byte, string) {
	t.Helper()
	r := c.must(http.StatusOK, "POST", "/api/session/passkey/begin", nil)
	ch := r.field(t, "publicKey", "challenge")
	if ch == "" {
		t.Fatalf("log-in options without a challenge: %s", r)
	}
	return r.Body, ch
}

// finishLogin sends a log-in answer.
func finishLogin(c *apiClient, credential []byte) apiReply {
	c.t.Helper()
	return c.do("POST", "/api/session/passkey/finish", map[string]any{"credential": json.RawMessage(credential)})
}

// passkeyLogin logs c in with a's passkey: begin, sign, finish, and returns the answer.
func passkeyLogin(t *testing.T, c *apiClient, a *passkeytest.Authenticator) apiReply {
	t.Helper()
	opts, _ := beginLogin(t, c)
	cred, err := a.Login(opts)
	if err != nil {
		t.Fatal(err)
	}
	return finishLogin(c, cred)
}

// ageSessions moves the account's sessions' log-ins 10 minutes back, past the 5 minutes
// within which a passkey may be added or removed without the password.
func ageSessions(t *testing.T, s *totpSite, userID int64) {
	t.Helper()
	res, err := s.db.SQL().Exec(`UPDATE "Sessions" SET "createdAt" = "createdAt" - 600 WHERE "userId" = $1`, userID)
	if n, _ := res.RowsAffected(); err != nil || n == 0 {
		t.Fatalf("age the sessions of user %d: %v (%d rows)", userID, err, n)
	}
}

// expireChallenge makes a ceremony's challenge expired in the database. Its row is found
// by the contract's key: the SHA-256 of the challenge as the options carry it.
func expireChallenge(t *testing.T, s *totpSite, challenge string) {
	t.Helper()
	sum := sha256.Sum256([]byte(challenge))
	res, err := s.db.SQL().ExecContext(context.Background(),
		`UPDATE "WebAuthnChallenges" SET "expiresAt" = "createdAt" - 1 WHERE "hash" = $1`, hex.EncodeToString(sum[:]))
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("expire challenge: %v (%d rows, want 1)", err, n)
	}
}

// challengeOf reads the challenge of options.
func challengeOf(t *testing.T, options []byte) string {
	t.Helper()
	return apiReply{Status: 200, Body: options}.field(t, "publicKey", "challenge")
}

// passkeyList reads GET /api/users/me/passkeys and requires each entry's shape.
func passkeyList(t *testing.T, c *apiClient) []map[string]any {
	t.Helper()
	r := c.must(http.StatusOK, "GET", "/api/users/me/passkeys", nil)
	return passkeysOf(t, r)
}

// passkeysOf reads the "passkeys" array of an answer, requiring exactly id, name,
// createdAt and lastUsedAt in each: never the key or the credential id.
func passkeysOf(t *testing.T, r apiReply) []map[string]any {
	t.Helper()
	list, ok := r.JSON(t)["passkeys"].([]any)
	if !ok {
		t.Fatalf("no passkeys array: %s", r)
	}
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		if got := keys(m); len(got) != 4 || got[0] != "createdAt" || got[1] != "id" || got[2] != "lastUsedAt" || got[3] != "name" {
			t.Fatalf("passkey entry keys %q, want createdAt, id, lastUsedAt, name: %s", got, r)
		}
		out = append(out, m)
	}
	return out
}

// requireCredentialError requires a 400 with errors.credential saying msg.
func requireCredentialError(t *testing.T, r apiReply, status int, msg string) {
	t.Helper()
	if r.Status != status || r.field(t, "errors", "credential") != msg {
		t.Fatalf("got %s, want %d with errors.credential %q", r, status, msg)
	}
}
