package auth

import (
	"context"
	"fmt"
)

// NewAccount is a sign-up that passed every rule: what the login package writes as a
// new user in the transaction that also starts their first session.
type NewAccount struct {
	Username, Email, PasswordHash string
}

// PrepareSignup validates in, applies the password rules and hashes the password. A
// taken username or email is found only when the account is written.
func (s *Service) PrepareSignup(ctx context.Context, in SignupInput) (NewAccount, error) {
	if err := in.Validate(); err != nil {
		return NewAccount{}, err
	}
	if err := s.checkNewPassword(in.Password, in.Username, in.Email, "password"); err != nil {
		return NewAccount{}, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return NewAccount{}, fmt.Errorf("signup %q: %w", in.Username, err)
	}
	return NewAccount{Username: in.Username, Email: in.Email, PasswordHash: hash}, nil
}
