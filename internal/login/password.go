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
	return s.identified(ctx, Identity{User: u, Method: MethodPassword}, c)
}

// Identity is who a first factor proved: the user, how, and whether it proved the
// second factor too (a passkey whose authenticator verified its user).
type Identity struct {
	User         auth.User
	Method       string // MethodPassword or MethodPasskey
	SecondFactor bool
}

// The first factors.
const (
	MethodPassword = "password"
	MethodPasskey  = "passkey"
)

// identified ends a log-in whose first factor was right: refused for a disabled account
// or an unverified address (only now, after a right and throttled secret: the refusal
// tells nothing to someone who does not know it), waiting for the second factor when the
// account has one that id did not prove, else in a session.
func (s *Service) identified(ctx context.Context, id Identity, c Client) (Attempt, error) {
	u := id.User
	if u.Disabled() {
		// Also only after a right and throttled password, for the same reason.
		return Attempt{}, auth.ErrAccountDisabled
	}
	if s.requireVerified && !u.EmailVerified() {
		return Attempt{}, auth.ErrEmailUnverified
	}
	if !id.SecondFactor {
		on, err := s.factors.Enrolled(ctx, u.ID)
		if err != nil {
			return Attempt{}, fmt.Errorf("login: %w", err)
		}
		if on {
			p, err := s.pend(ctx, u, id.Method)
			if err != nil {
				return Attempt{}, err
			}
			return Attempt{Pending: &p}, nil
		}
	}
	st, err := s.startWith(ctx, c, events.Login, map[string]string{events.DetailMethod: id.Method},
		func(context.Context, Tx) (auth.User, error) { return u, nil })
	if err != nil {
		return Attempt{}, err
	}
	return Attempt{Started: st}, nil
}
