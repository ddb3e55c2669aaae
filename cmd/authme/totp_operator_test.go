package main

import (
	"net/http"
	"strings"
	"testing"

	"authme/internal/events"
	"authme/internal/testdb"
)

// TestTOTPOperator runs the operator's two commands of issue 14 against a database that
// running servers use: `keys rotate` re-seals every secret under the first key, so the
// old key can go; `users reset-second-factor` lets an owner who lost everything back in
// with the password alone.
func TestTOTPOperator(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startTOTPSite(t, tg, 1)

		// In turn: a rotation re-seals every account's secret, another case's too.
		t.Run("KeysRotate", func(t *testing.T) {
			u := site.enrolled(t, "op-rotate")
			newKey, newID := newEncryptionKey(t)
			out := mustCLI(t, site.env("ENCRYPTION_KEY", newKey+","+site.key), "", "keys", "rotate")
			if !strings.Contains(out, newID) {
				t.Errorf("keys rotate printed %q, want the new key's id %s", out, newID)
			}
			var keyID string
			if err := site.db.SQL().QueryRow(`SELECT "keyId" FROM "TotpFactors" WHERE "userId" = $1`, u.id).Scan(&keyID); err != nil {
				t.Fatal(err)
			}
			if keyID != newID {
				t.Errorf("after rotation the secret is sealed under %q, want %q", keyID, newID)
			}
			// The old key can go: a server with the new one alone checks the code.
			onlyNew := site.startServerAt(t, "ENCRYPTION_KEY", newKey)
			u.logIn(t, newClient(t, onlyNew, clientIP(int(site.ips.Add(1)))))
			// And one with the old key alone no longer can.
			c := site.client(t)
			u.password(t, c)
			if r := secondFactor(c, map[string]string{"code": u.unspent(t)}); r.Status != http.StatusServiceUnavailable {
				t.Errorf("a code on a server with only the old key = %s, want 503", r)
			}
			// Rotating again has nothing left to do.
			if out := mustCLI(t, site.env("ENCRYPTION_KEY", newKey+","+site.key), "", "keys", "rotate"); !strings.Contains(out, "sealed 0 ") {
				t.Errorf("a second rotation printed %q, want nothing sealed", out)
			}
		})

		t.Run("UsersResetSecondFactor", func(t *testing.T) {
			u := site.enrolled(t, "op-reset")
			pending := site.client(t)
			u.password(t, pending)
			out := mustCLI(t, site.env(), "", "users", "reset-second-factor", u.name)
			if !strings.Contains(out, "removed the second factor of "+u.name) {
				t.Errorf("users reset-second-factor printed %q", out)
			}
			if got := u.c.sessionUser(); got != "" {
				t.Errorf("the account's session survived (user %q)", got)
			}
			attemptError(t, secondFactor(pending, map[string]string{"code": u.unspent(t)}))
			c := site.client(t)
			requireSessionBody(t, c, c.login(u.email, mailPassword))
			requireOff(t, c)
			if e := waitEvent(t, c, events.TOTPDisabled); detail(e, events.DetailBy) != "operator" {
				t.Errorf("totp-disabled by %q, want operator: %v", detail(e, events.DetailBy), e)
			}
			if out := mustCLI(t, site.env(), "", "users", "reset-second-factor", u.name); !strings.Contains(out, "has no second factor") {
				t.Errorf("a second reset printed %q", out)
			}
		})
	})
}
