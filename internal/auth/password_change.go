package auth

import (
	"context"
	"fmt"
)

// ChangePasswordInput is what a logged-in person gives to change their password.
type ChangePasswordInput struct {
	CurrentPassword string
	NewPassword     string
	Proof           Proof // the second factor, for an account with one
}

// Messages for password changes.
const (
	MsgCurrentPassword      = "Current password is required"
	MsgCurrentPasswordWrong = "Current password is incorrect"
)

// PreparePasswordChange checks u's current password (throttled like a log-in) and the
// new one's rules, and returns the new hash: the login package stores it and replaces
// every session of u in one transaction.
func (s *Service) PreparePasswordChange(ctx context.Context, u User, in ChangePasswordInput) (string, error) {
	f := map[string]string{}
	if in.CurrentPassword == "" {
		f["currentPassword"] = MsgCurrentPassword
	}
	if n := len([]rune(in.NewPassword)); n < PasswordMin || n > PasswordMax {
		f["newPassword"] = MsgPasswordLength
	}
	if len(f) > 0 {
		return "", invalid(f)
	}
	if err := s.checkNewPassword(in.NewPassword, u.Username, u.Email, "newPassword"); err != nil {
		return "", err
	}
	if err := s.CheckPassword(ctx, u, in.CurrentPassword, "currentPassword"); err != nil {
		return "", err
	}
	hash, err := s.hash(ctx, in.NewPassword)
	if err != nil {
		return "", fmt.Errorf("change password of user %d: %w", u.ID, err)
	}
	return hash, nil
}

// CheckPassword checks a logged-in user's password before a sensitive change, throttled
// on the account's key like a log-in. A wrong one is a 400 naming field, not a 401: the
// session is fine, the confirmation is not.
func (s *Service) CheckPassword(ctx context.Context, u User, password, field string) error {
	if password == "" {
		return invalid(map[string]string{field: MsgCurrentPassword})
	}
	c, err := s.users.UserCredentialsByID(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("check password of user %d: %w", u.ID, err)
	}
	finish, err := s.reserve(ctx, accountKey(u.ID))
	if err != nil {
		return err
	}
	ok, _, err := s.verify(ctx, c.PasswordHash, password)
	if err != nil {
		finish(AttemptAbandoned)
		return fmt.Errorf("check password of user %d: %w", u.ID, err)
	}
	if !ok {
		if err := finish(AttemptFailed); err != nil {
			return err
		}
		return invalid(map[string]string{field: MsgCurrentPasswordWrong})
	}
	finish(AttemptSucceeded) //nolint:errcheck // the password was right: a throttle write failing must not undo that
	return nil
}
