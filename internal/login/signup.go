package login

import (
	"context"

	"authme/internal/auth"
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
		return tx.CreateUser(ctx, a)
	})
}
