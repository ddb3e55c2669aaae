package login

import (
	"context"

	"authme/internal/auth"
	"authme/internal/events"
)

// Attempt is how a log-in whose password was right ends: in a session, or, for an
// account with another factor to prove, in a pending next step. No account has a
// second factor yet, so today every attempt ends in Started; the shape is the one the
// second factor will fill, without a new kind of answer for those that need none.
type Attempt struct {
	Started Started
}

// Password logs in with a username or email and a password: auth verifies them (with
// the throttle and equal-time failures), then the session starts.
func (s *Service) Password(ctx context.Context, in auth.LoginInput, c Client) (Attempt, error) {
	in.Address, in.UserAgent = c.Address, c.UserAgent
	u, err := s.verify.VerifyPassword(ctx, in)
	if err != nil {
		return Attempt{}, err
	}
	if u.Disabled() {
		// Also only after a right and throttled password, for the same reason.
		return Attempt{}, auth.ErrAccountDisabled
	}
	if s.requireVerified && !u.EmailVerified() {
		// Only now, after a right and throttled password: the refusal tells nothing to
		// someone who does not know it.
		return Attempt{}, auth.ErrEmailUnverified
	}
	st, err := s.start(ctx, c, events.Login, func(context.Context, Tx) (auth.User, error) { return u, nil })
	if err != nil {
		return Attempt{}, err
	}
	return Attempt{Started: st}, nil
}
