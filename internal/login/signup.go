package login

import (
	"context"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/outbox"
)

// Signup creates an account and its first session in one transaction: a sign-up that
// fails half-way (the database going away between the two inserts) leaves no account
// its client was told was not made. When verified addresses are required, it starts no
// session: the Started it returns has the user and no token.
func (s *Service) Signup(ctx context.Context, in auth.SignupInput, c Client) (Started, error) {
	a, err := s.verify.PrepareSignup(ctx, in)
	if err != nil {
		return Started{}, err
	}
	create := func(ctx context.Context, tx Tx) (auth.User, error) {
		u, err := tx.CreateUser(ctx, a)
		if err != nil {
			return auth.User{}, err
		}
		// The verification mail is queued with the account: both are made, or neither.
		return u, s.notice(ctx, tx, outbox.KindVerifyEmail, u, c)
	}
	if s.requireVerified {
		// Whoever typed the address has not shown it is theirs: the account waits for
		// the link, and no session starts (else a sign-up with another's address would
		// be a way in that skips the verification log-in demands).
		var u auth.User
		err := s.store.InTx(ctx, func(tx Tx) error {
			var err error
			if u, err = create(ctx, tx); err != nil {
				return err
			}
			// No session to start, so the event is recorded here, with no session.
			return tx.RecordEvent(ctx, c.Origin("").Event(u.ID, events.Signup, s.now()))
		})
		if err != nil {
			return Started{}, err
		}
		return Started{User: u}, nil
	}
	return s.start(ctx, c, events.Signup, create)
}
