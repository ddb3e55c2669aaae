package login

import (
	"context"

	"authme/internal/auth"
	"authme/internal/outbox"
)

// Signup creates an account and its first session in one transaction: a sign-up that
// fails half-way (the database going away between the two inserts) leaves no account
// its client was told was not made.
func (s *Service) Signup(ctx context.Context, in auth.SignupInput, c Client) (Started, error) {
	a, err := s.verify.PrepareSignup(ctx, in)
	if err != nil {
		return Started{}, err
	}
	return s.start(ctx, c, func(ctx context.Context, tx Tx) (auth.User, error) {
		u, err := tx.CreateUser(ctx, a)
		if err != nil {
			return auth.User{}, err
		}
		// The verification mail is queued with the account: both are made, or neither.
		return u, s.notice(ctx, tx, outbox.KindVerifyEmail, u, c)
	})
}
