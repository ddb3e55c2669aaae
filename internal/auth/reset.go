package auth

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// PrepareReset checks a new password for the account a reset link belongs to, under the
// sign-up rules, and returns its hash: the login package stores it with the token spent.
// No current password is asked (the link proves the address), so nothing is throttled
// here: the link's 256 random bits are the secret.
func (s *Service) PrepareReset(ctx context.Context, userID int64, password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < PasswordMin || n > PasswordMax {
		return "", invalid(map[string]string{"password": MsgPasswordLength})
	}
	c, err := s.users.UserCredentialsByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return "", ErrBadToken // the account was deleted since the link was sent
	}
	if err != nil {
		return "", fmt.Errorf("reset password of user %d: %w", userID, err)
	}
	if err := s.checkNewPassword(password, c.Username, c.Email, "password"); err != nil {
		return "", err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("reset password of user %d: %w", userID, err)
	}
	return hash, nil
}
