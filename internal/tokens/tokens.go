// Package tokens makes the tokens authme mails to account owners (password reset, email
// verification, change of email and its undo) and the records kept of them: only a
// token's SHA-256 is stored, so a copy of the database grants nothing.
package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Purposes: a token is redeemed only for the purpose it was made for.
const (
	Reset       = "reset"        // sets a new password
	Verify      = "verify"       // proves the account's email address
	EmailChange = "email-change" // moves the account to a new address (sent to that address)
	EmailUndo   = "email-undo"   // moves it back (sent to the old address)
)

// size is the token's random bytes: 256 bits, twice ASVS's 128-bit floor, in 43
// URL-safe characters.
const size = 32

// Record is what the database keeps of a token: never the token itself.
type Record struct {
	Hash    string // hex SHA-256 of the token
	UserID  int64
	Purpose string
	// Email is the address the token is about: the account's own for a reset or a
	// verification, the new one for a change, the old one for an undo.
	Email     string
	Stamp     string // Stamp of the account when the token was made; "" binds nothing
	CreatedAt time.Time
	ExpiresAt time.Time
}

// New returns a fresh token and its hash.
func New() (token, hash string, err error) {
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("make token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token), nil
}

// Hash is the stored form of a token. A token is 256 random bits, so a plain SHA-256
// is enough: there is nothing to guess that a slow hash would protect.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s could be a token New made: anything else is refused
// before any database lookup.
func WellFormed(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(size) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// Stamp fingerprints the parts of an account a token must outlive no change of: a
// reset token made before the password or the email changed is void after, without
// anyone having to remember to delete it.
func Stamp(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// AccountStamp is the stamp a token of purpose carries for an account with this address
// and password hash: what the token must not outlive a change of. A reset or a change of
// email binds both (a new password or address voids it); a verification binds the
// address it was sent to; an undo binds nothing, so no later change can take it away.
func AccountStamp(purpose, email, passwordHash string) string {
	email = strings.ToLower(email)
	switch purpose {
	case Reset, EmailChange:
		return Stamp(purpose, email, passwordHash)
	case Verify:
		return Stamp(purpose, email)
	}
	return ""
}

// StampMatches compares stamps in constant time.
func StampMatches(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Usable reports whether r may still be redeemed at now.
func (r Record) Usable(now time.Time) bool { return now.Before(r.ExpiresAt) }
