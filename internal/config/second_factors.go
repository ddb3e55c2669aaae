package config

import (
	"strings"

	"authme/internal/mfa"
)

// readSecondFactors reads the key that seals authenticator-app secrets and the name the
// apps show. ENCRYPTION_KEY is its own setting, never derived from JWT_SECRET: rotating
// JWT_SECRET must only log people out, not lock them out of their second factor. Without
// it, production runs with second factors off (a 503 on enrolment); development keeps a
// key in a file beside the database (cmd/authme).
func readSecondFactors(r *reader, c *Config) {
	keys, err := mfa.ParseKeys(r.str("ENCRYPTION_KEY"))
	if err != nil {
		// err never quotes a key.
		r.failf("ENCRYPTION_KEY is not usable: %v", err)
	}
	c.EncryptionKeys = keys
	c.TOTPIssuer = r.str("TOTP_ISSUER")
	if c.TOTPIssuer == "" {
		c.TOTPIssuer = "authme"
	}
	if len(c.TOTPIssuer) > 64 || strings.ContainsAny(c.TOTPIssuer, ":\x00") {
		// The app's label is "issuer:account": a colon would move the split.
		r.failf("TOTP_ISSUER must be at most 64 bytes, without a colon")
	}
}
