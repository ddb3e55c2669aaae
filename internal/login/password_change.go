package login

import (
	"context"
	"fmt"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/outbox"
	"authme/internal/tokens"
)

// ChangePassword checks u's current password (and second factor, when u has one), then, in one transaction, stores the
// new hash, ends every session of u (on every device) and starts one for this client:
// a failure leaves the old password and sessions as they were.
func (s *Service) ChangePassword(ctx context.Context, u auth.User, in auth.ChangePasswordInput, c Client) (Started, error) {
	hash, err := s.verify.PreparePasswordChange(ctx, u, in)
	if err != nil {
		return Started{}, err
	}
	proven, err := s.factors.Verify(ctx, u.ID, in.Proof, c)
	if err != nil {
		return Started{}, err
	}
	c.Replaces = "" // ended with all the others
	st, err := s.start(ctx, c, events.PasswordChanged, func(ctx context.Context, tx Tx) (auth.User, error) {
		if _, err := proven.Spend(ctx, tx, c); err != nil {
			return auth.User{}, err
		}
		if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return auth.User{}, err
		}
		if err := tx.EndUserSessions(ctx, u.ID); err != nil {
			return auth.User{}, err
		}
		if err := tx.EndPendingLogins(ctx, u.ID); err != nil {
			return auth.User{}, err
		}
		// A reset link sent before is void by its stamp; deleting it says so at once.
		if err := tx.DeleteTokens(ctx, u.ID, tokens.Reset); err != nil {
			return auth.User{}, err
		}
		return u, s.notice(ctx, tx, outbox.KindPasswordChanged, u, c)
	})
	proven.Finish(err, false)
	if err != nil {
		return Started{}, fmt.Errorf("change password of user %d: %w", u.ID, err)
	}
	return st, nil
}
