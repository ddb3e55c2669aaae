package main

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"authme/internal/testdb"
)

// sha256Hex is the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func storageCases(t *testing.T, site *totpSite) {
	// A copy of the database reveals no secret: the row holds it sealed, beside the id
	// of the key that sealed it.
	t.Run("SecretIsSealed", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "sealed")
		var sealed, keyID string
		var lastStep int64
		var confirmed *int64
		err := site.db.SQL().QueryRow(`SELECT "secret", "keyId", "confirmedAt", "lastStep" FROM "TotpFactors" WHERE "userId" = $1`, u.id).
			Scan(&sealed, &keyID, &confirmed, &lastStep)
		if err != nil {
			t.Fatalf("read the secret's row: %v", err)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(u.secret, "="))
		if err != nil {
			t.Fatalf("the secret %q is not base32: %v", u.secret, err)
		}
		for _, form := range []string{u.secret, strings.TrimRight(u.secret, "="), base64.StdEncoding.EncodeToString(raw),
			base64.RawURLEncoding.EncodeToString(raw), hex.EncodeToString(raw)} {
			if strings.Contains(strings.ToLower(sealed), strings.ToLower(form)) {
				t.Errorf("the row holds the secret in the clear (%q)", form)
			}
		}
		if b, err := base64.StdEncoding.DecodeString(sealed); err != nil || len(b) < 12+len(raw)+16 {
			t.Errorf("the sealed secret is not base64 of nonce, ciphertext and tag (%d bytes, %v)", len(b), err)
		}
		if keyID != site.keyID {
			t.Errorf("keyId = %q, want %q, the id of the one key", keyID, site.keyID)
		}
		if confirmed == nil || lastStep <= 0 {
			t.Errorf("confirmedAt %v, lastStep %d: want a confirmed secret whose first code is spent", confirmed, lastStep)
		}
	})

	// Recovery codes and attempts are kept as SHA-256 only.
	t.Run("CodesAndAttemptsAreHashed", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "hashed")
		rows, err := site.db.SQL().Query(`SELECT "hash" FROM "RecoveryCodes" WHERE "userId" = $1`, u.id)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			stored[h] = true
		}
		rows.Close()
		if len(stored) != 10 {
			t.Errorf("%d recovery code rows, want 10", len(stored))
		}
		// Each row is the SHA-256 of the code without its dashes, under a prefix that
		// keeps these hashes apart from any other SHA-256 of the same text.
		for _, code := range u.recovery {
			if !stored[sha256Hex("authme recovery code\x00"+strings.ReplaceAll(code, "-", ""))] {
				t.Errorf("no row holds the SHA-256 of %q without its dashes", code)
			}
		}

		c := site.client(t)
		u.password(t, c)
		var n int
		if err := site.db.SQL().QueryRow(`SELECT count(*) FROM "PendingLogins" WHERE "hash" = $1 AND "userId" = $2`,
			sha256Hex(c.cookie(attemptCookie)), u.id).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d attempt rows hold the SHA-256 of the cookie (%v), want 1", n, err)
		}
	})
}

// TestTOTPKeys: a server without the key that sealed a secret cannot check its codes,
// and answers so (not 500); one with the new key first and the old after it checks them,
// and seals new secrets under the new key.
func TestTOTPKeys(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startTOTPSite(t, tg, 1)
		u := site.enrolled(t, "rotated")
		newKey, newID := newEncryptionKey(t)

		other := site.startServerAt(t, "ENCRYPTION_KEY", newKey)
		c := newClient(t, other, clientIP(int(site.ips.Add(1))))
		r := c.login(u.email, mailPassword)
		if r.Status == http.StatusAccepted {
			r = secondFactor(c, map[string]string{"code": u.unspent(t)})
		}
		if r.Status != http.StatusServiceUnavailable || r.field(t, "message") == "" || r.Header.Get("Retry-After") == "" {
			t.Errorf("log-in on a server without the secret's key = %s, want 503 with a message and Retry-After, not a session or a 500", r)
		}
		if got := c.sessionUser(); got != "" {
			t.Errorf("a server without the key logged in %q", got)
		}

		both := site.startServerAt(t, "ENCRYPTION_KEY", newKey+","+site.key)
		u.logIn(t, newClient(t, both, clientIP(int(site.ips.Add(1)))))

		// A new enrolment on that server is sealed under its first key.
		acct := site.account(t, "rotated-new", "rotated-new@example.test")
		c = newClient(t, both, clientIP(int(site.ips.Add(1))))
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": acct.Email, "password": mailPassword})
		site.enrol(t, c, acct)
		var keyID string
		if err := site.db.SQL().QueryRow(`SELECT "keyId" FROM "TotpFactors" WHERE "userId" = $1`, acct.ID).Scan(&keyID); err != nil {
			t.Fatal(err)
		}
		if keyID != newID {
			t.Errorf("the new secret is sealed under %q, want the first key's id %q", keyID, newID)
		}
	})
}
