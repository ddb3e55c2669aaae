package login

import (
	"context"
	"fmt"

	"authme/internal/auth"
	"authme/internal/events"
)

// Attempt is how a log-in whose password was right ends: in a session (Started), or,
// for an account with a second factor, in a log-in that waits for it (Pending, non-nil).
type Attempt struct {
	Started Started
	Pending *Pending
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
	on, err := s.factors.Enrolled(ctx, u.ID)
	if err != nil {
		return Attempt{}, fmt.Errorf("login: %w", err)
	}
	if on {
		p, err := s.pend(ctx, u)
		if err != nil {
			return Attempt{}, err
		}
		return Attempt{Pending: &p}, nil
	}
	st, err := s.startWith(ctx, c, events.Login, map[string]string{events.DetailMethod: "password"},
		func(context.Context, Tx) (auth.User, error) { return u, nil })
	if err != nil {
		return Attempt{}, err
	}
	return Attempt{Started: st}, nil
}
