package recovery

import (
	"context"
	"errors"
	"fmt"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/tokens"
)

// ConfirmVerification spends a verification token and marks the account's address
// verified, if the account still has the address the link was sent to; c is the client
// that followed the link, for the security event.
func (s *Service) ConfirmVerification(ctx context.Context, token string, c login.Client) (auth.User, error) {
	var u auth.User
	err := s.redeem(ctx, token, tokens.Verify, func(ctx context.Context, tx login.Tx, acct auth.Credentials, rec tokens.Record) error {
		if !tokens.StampMatches(rec.Stamp, tokens.AccountStamp(tokens.Verify, acct.Email, "")) {
			return auth.ErrBadToken // the address changed since the link was sent
		}
		u = acct.User
		if u.EmailVerified() {
			return nil
		}
		u.EmailVerifiedAt = s.now()
		if err := tx.SetEmailVerified(ctx, u.ID, u.EmailVerifiedAt); err != nil {
			return err
		}
		return tx.RecordEvent(ctx, c.Origin("").Event(u.ID, events.EmailVerified, u.EmailVerifiedAt))
	})
	if err != nil {
		return auth.User{}, fmt.Errorf("confirm verification: %w", err)
	}
	return u, nil
}

// redeem spends token for purpose in one transaction with fn, which sees the account it
// belongs to: a refusal by fn keeps the token (the transaction rolls back).
func (s *Service) redeem(ctx context.Context, token, purpose string, fn func(ctx context.Context, tx login.Tx, acct auth.Credentials, rec tokens.Record) error) error {
	if !tokens.WellFormed(token) {
		return auth.ErrBadToken
	}
	return s.store.InTx(ctx, func(tx login.Tx) error {
		rec, err := tx.RedeemToken(ctx, tokens.Hash(token), purpose, s.now())
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrBadToken
		}
		if err != nil {
			return err
		}
		acct, err := tx.Account(ctx, rec.UserID)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrBadToken
		}
		if err != nil {
			return err
		}
		return fn(ctx, tx, acct, rec)
	})
}
