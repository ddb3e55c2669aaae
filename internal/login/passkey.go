package login

import (
	"context"

	"authme/internal/auth"
)

// PasskeyVerifier checks a passkey's answer to a log-in challenge: the passkey package's
// Service.
type PasskeyVerifier interface {
	VerifyLogin(ctx context.Context, response []byte, c Client) (Identity, error)
}

// WithPasskeys lets people log in with passkeys that v checks.
func WithPasskeys(v PasskeyVerifier) Option { return func(s *Service) { s.passkeys = v } }

// Passkey logs in with a passkey's answer: v verifies it; a passkey whose authenticator
// verified its user proves the second factor too, one that did not leaves the second
// factor to ask (as a password does); then the session starts, exactly as a password's.
func (s *Service) Passkey(ctx context.Context, response []byte, c Client) (Attempt, error) {
	if s.passkeys == nil {
		return Attempt{}, auth.ErrPasskeysOff
	}
	id, err := s.passkeys.VerifyLogin(ctx, response, c)
	if err != nil {
		return Attempt{}, err
	}
	return s.identified(ctx, id, c)
}
