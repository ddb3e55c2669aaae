package auth

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Messages of the operator's actions on accounts.
const (
	MsgAccountDisabled   = "This account is disabled. Contact the operator."
	MsgAccountReferenced = "Other data in this database still refers to this account; delete it there first."
)

// ErrAccountDisabled refuses a log-in with a right password to an account an operator
// has disabled.
var ErrAccountDisabled = &Error{Code: EForbidden, Message: MsgAccountDisabled}

// ErrAccountReferenced refuses to delete an account that a table authme does not own
// (the product's) still refers to: authme never cascades into another's data.
var ErrAccountReferenced = &Error{Code: EConflict, Message: MsgAccountReferenced}

// PrepareOperatorPassword checks a password an operator sets for u under the sign-up
// rules and returns its hash. Nothing is throttled: the operator is already trusted with
// the database.
func (s *Service) PrepareOperatorPassword(ctx context.Context, u User, password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < PasswordMin || n > PasswordMax {
		return "", invalid(map[string]string{"password": MsgPasswordLength})
	}
	if err := s.checkNewPassword(password, u.Username, u.Email, "password"); err != nil {
		return "", err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("set password of user %d: %w", u.ID, err)
	}
	return hash, nil
}
