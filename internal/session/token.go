package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"sync"
	"time"
)

// hs256Header is the only JWT header authme issues and accepts, base64url-encoded:
// {"alg":"HS256","typ":"JWT"}. Accepting exactly these bytes pins the algorithm more
// tightly than any allow-list: "none", other algorithms, key ids and critical headers
// are all refused before anything else is read.
const hs256Header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// maxTokenLen bounds the work an attacker can ask for with one cookie.
const maxTokenLen = 4096

// verifier checks HS256 tokens on the request path with a few allocations: the
// signature first, in constant time, then the payload's exp and jti. golang-jwt signs;
// this reads, because every request pays for it.
type verifier struct {
	macs sync.Pool // hash.Hash keyed with the secret, reused between requests
	now  func() time.Time
}

func newVerifier(secret []byte, now func() time.Time) *verifier {
	v := &verifier{now: now}
	v.macs.New = func() any { return hmac.New(sha256.New, secret) }
	return v
}

// claimsView is the part of the payload the check needs.
type claimsView struct {
	ID  string   `json:"jti"`
	Exp *float64 `json:"exp"`
}

// verify returns the token's jti when the token is ours, untampered and unexpired.
func (v *verifier) verify(token string) (string, bool) {
	if len(token) > maxTokenLen || !strings.HasPrefix(token, hs256Header+".") {
		return "", false
	}
	body := token[len(hs256Header)+1:]
	dot := strings.IndexByte(body, '.')
	if dot < 0 {
		return "", false
	}
	payload, sig := body[:dot], body[dot+1:]
	// Decode panics when the signature decodes to more than got holds: check the length
	// first, so an overlong signature is refused rather than a 500.
	if len(sig) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return "", false
	}
	var got [sha256.Size]byte
	// Strict decoding: a signature whose unused trailing bits differ is not ours.
	if n, err := base64.RawURLEncoding.Strict().Decode(got[:], []byte(sig)); err != nil || n != sha256.Size {
		return "", false
	}
	mac := v.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write([]byte(token[:len(hs256Header)+1+dot]))
	var want [sha256.Size]byte
	ok := hmac.Equal(mac.Sum(want[:0]), got[:])
	v.macs.Put(mac)
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", false
	}
	var c claimsView
	if json.Unmarshal(raw, &c) != nil || c.Exp == nil || c.ID == "" || len(c.ID) > 64 {
		return "", false
	}
	if float64(v.now().Unix()) >= *c.Exp {
		return "", false
	}
	return c.ID, true
}
