package mfa

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"authme/internal/auth"
)

// KeySize is the length of an encryption key: AES-256.
const KeySize = 32

// Keyring seals authenticator-app secrets with AES-256-GCM. Its first key seals; every
// key opens what it sealed, found by the id stored beside each secret, so a key can be
// rotated: put the new one first, re-seal (authme keys rotate), then drop the old one.
// Its keys are never derived from JWT_SECRET, whose rotation must only log people out.
type Keyring struct {
	keys  []key // keys[0] seals
	byID  map[string]cipher.AEAD
	first string
}

type key struct {
	id   string
	aead cipher.AEAD
}

// ParseKeys reads ENCRYPTION_KEY: one or more base64 keys of 32 bytes, comma-separated,
// the sealing one first. An empty string is no keyring (nil, nil).
func ParseKeys(s string) (*Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var raw [][]byte
	for i, part := range strings.Split(s, ",") {
		b, err := decodeKey(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		raw = append(raw, b)
	}
	return NewKeyring(raw...)
}

// decodeKey reads a key in any of base64's spellings (standard or URL-safe, padded or
// not): what openssl rand -base64 32 prints, and what a URL-safe generator prints.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("is %d bytes, want %d (make one with: openssl rand -base64 32)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("is not base64 (make one with: openssl rand -base64 32)")
}

// NewKeyring returns a keyring over keys, the first of which seals.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no key")
	}
	k := &Keyring{byID: map[string]cipher.AEAD{}}
	for _, b := range keys {
		if len(b) != KeySize {
			return nil, fmt.Errorf("key is %d bytes, want %d", len(b), KeySize)
		}
		block, err := aes.NewCipher(b)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		id := KeyID(b)
		if _, dup := k.byID[id]; dup {
			return nil, fmt.Errorf("key %s is listed twice", id)
		}
		k.byID[id] = aead
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	k.first = k.keys[0].id
	return k, nil
}

// KeyID names a key without revealing it: a short hash, so the operator need not invent
// names and the same key always has the same id.
func KeyID(b []byte) string {
	sum := sha256.Sum256(append([]byte("authme key id\x00"), b...))
	return "k" + hex.EncodeToString(sum[:4])
}

// SealingID is the id of the key that seals.
func (k *Keyring) SealingID() string { return k.first }

// Seal encrypts secret for the account userID under the sealing key; the account is
// bound in as associated data, so a sealed secret copied to another account's row does
// not open there.
func (k *Keyring) Seal(userID int64, secret []byte) (sealed, keyID string, err error) {
	aead := k.keys[0].aead
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", fmt.Errorf("seal: %w", err)
	}
	out := aead.Seal(nonce, nonce, secret, associated(userID))
	return base64.StdEncoding.EncodeToString(out), k.first, nil
}

// ErrUnknownKey means a secret was sealed under a key the keyring does not hold.
var ErrUnknownKey = errors.New("sealed under a key ENCRYPTION_KEY does not list")

// Open decrypts a secret Seal made for userID under the key keyID.
func (k *Keyring) Open(userID int64, sealed, keyID string) ([]byte, error) {
	aead, ok := k.byID[keyID]
	if !ok {
		return nil, fmt.Errorf("open secret of user %d: key %s %w", userID, keyID, ErrUnknownKey)
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < aead.NonceSize() {
		return nil, fmt.Errorf("open secret of user %d: not a sealed secret", userID)
	}
	secret, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], associated(userID))
	if err != nil {
		return nil, fmt.Errorf("open secret of user %d: %w", userID, err)
	}
	return secret, nil
}

func associated(userID int64) []byte { return fmt.Appendf(nil, "authme totp secret:%d", userID) }

// Sealed is where Reseal reads and writes sealed secrets: the store's DB.
type Sealed interface {
	TOTPFactors(ctx context.Context) ([]auth.TOTPFactor, error)
	ResealTOTP(ctx context.Context, userID int64, from, sealed, keyID string) (bool, error)
}

// Reseal seals again, under k's sealing key, every secret sealed under another key it
// holds, and returns how many it sealed. A secret under a key k lacks is an error (after
// the others are done): dropping that key already lost it.
func Reseal(ctx context.Context, st Sealed, k *Keyring) (int, error) {
	all, err := st.TOTPFactors(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, f := range all {
		if f.KeyID == k.SealingID() {
			continue
		}
		secret, err := k.Open(f.UserID, f.Sealed, f.KeyID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sealed, id, err := k.Seal(f.UserID, secret)
		if err != nil {
			return n, err
		}
		ok, err := st.ResealTOTP(ctx, f.UserID, f.Sealed, sealed, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}
