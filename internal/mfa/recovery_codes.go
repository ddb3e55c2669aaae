package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// Recovery codes: RecoveryCodeCount of them, each 120 random bits written as 24
// characters of lowercase base32 in groups of four. 120 bits is past ASVS 6.5.2's 112, so
// a plain SHA-256 may store them: there is nothing a slow hash would protect.
const (
	RecoveryCodeCount = 10
	recoveryBytes     = 15 // 120 bits: 24 base32 characters, no padding
	recoveryChars     = 24
	recoveryGroup     = 4
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns RecoveryCodeCount fresh codes as people see them, and their
// hashes as the database keeps them.
func NewRecoveryCodes() (codes, hashes []string, err error) {
	for range RecoveryCodeCount {
		b := make([]byte, recoveryBytes)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, fmt.Errorf("make recovery code: %w", err)
		}
		plain := lowerBase32.EncodeToString(b)
		var groups []string
		for i := 0; i < len(plain); i += recoveryGroup {
			groups = append(groups, plain[i:i+recoveryGroup])
		}
		codes = append(codes, strings.Join(groups, "-"))
		hashes = append(hashes, hashRecovery(plain))
	}
	return codes, hashes, nil
}

// RecoveryCodeHash returns the stored form of a typed recovery code (any case; dashes
// and spaces ignored), or false when it cannot be one: such input is refused before it
// counts as a guess.
func RecoveryCodeHash(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, s)
	if len(s) != recoveryChars {
		return "", false
	}
	if _, err := lowerBase32.DecodeString(s); err != nil {
		return "", false
	}
	return hashRecovery(s), true
}

func hashRecovery(plain string) string {
	sum := sha256.Sum256([]byte("authme recovery code\x00" + plain))
	return hex.EncodeToString(sum[:])
}
