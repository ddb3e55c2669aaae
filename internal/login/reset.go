package login

import (
	"context"
	"errors"
	"fmt"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/outbox"
	"authme/internal/tokens"
)

// ResetInput is a reset link's token and the new password, and for an account with a
// second factor, a code: a reset proves the address, not the second factor.
type ResetInput struct {
	Token    string
	Password string
	Proof    auth.Proof
}

// Reset logs in with a password-reset link: the token (from the mail) proves the
// address, the new password replaces the old one, every session of the account ends,
// and one starts for this client, all in one transaction that also uses the token up.
// A reset proves the address, so it marks it verified.
//
// The token is read before the new password is hashed and spent after, inside the
// transaction: a password the rules refuse leaves the link usable, and of two clients
// racing with one token only one gets the account.
func (s *Service) Reset(ctx context.Context, in ResetInput, c Client) (Started, error) {
	if s.tokens == nil {
		return Started{}, auth.ErrMailOff
	}
	if !tokens.WellFormed(in.Token) {
		return Started{}, auth.ErrBadToken
	}
	hash := tokens.Hash(in.Token)
	rec, err := s.tokens.PeekToken(ctx, hash, tokens.Reset)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && !rec.Usable(s.now())) {
		return Started{}, auth.ErrBadToken
	}
	if err != nil {
		return Started{}, fmt.Errorf("reset password: %w", err)
	}
	on, err := s.factors.Enrolled(ctx, rec.UserID)
	if err != nil {
		return Started{}, fmt.Errorf("reset password: %w", err)
	}
	if on && in.Proof.Empty() {
		return Started{}, auth.ErrResetNeedsCode // the link stays usable
	}
	newHash, err := s.verify.PrepareReset(ctx, rec.UserID, in.Password)
	if err != nil {
		return Started{}, err
	}
	proven, err := s.factors.Verify(ctx, rec.UserID, in.Proof, c)
	if err != nil {
		return Started{}, err
	}
	c.Replaces = "" // ended with all the others
	st, err := s.start(ctx, c, events.PasswordReset, func(ctx context.Context, tx Tx) (auth.User, error) {
		if _, err := proven.Spend(ctx, tx, c); err != nil {
			return auth.User{}, err
		}
		now := s.now()
		acct, err := tx.Account(ctx, rec.UserID)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.User{}, auth.ErrBadToken
		}
		if err != nil {
			return auth.User{}, err
		}
		got, err := tx.RedeemToken(ctx, hash, tokens.Reset, now)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.User{}, auth.ErrBadToken // used by a racing request, or expired since
		}
		if err != nil {
			return auth.User{}, err
		}
		if !tokens.StampMatches(got.Stamp, tokens.AccountStamp(tokens.Reset, acct.User.Email, acct.PasswordHash)) {
			return auth.User{}, auth.ErrBadToken // the password or the address changed since
		}
		if acct.Disabled() {
			return auth.User{}, auth.ErrAccountDisabled // a link mailed before the account was disabled
		}
		u := acct.User
		if err := tx.SetPasswordHash(ctx, u.ID, newHash); err != nil {
			return auth.User{}, err
		}
		if err := tx.EndUserSessions(ctx, u.ID); err != nil {
			return auth.User{}, err
		}
		if err := tx.EndPendingLogins(ctx, u.ID); err != nil {
			return auth.User{}, err
		}
		// Every other link the account has outstanding was sent to the same address
		// and is void now anyway (the stamps changed); deleting them says so at once.
		if err := tx.DeleteTokens(ctx, u.ID, tokens.Reset, tokens.Verify, tokens.EmailChange); err != nil {
			return auth.User{}, err
		}
		if !u.EmailVerified() {
			if err := tx.SetEmailVerified(ctx, u.ID, now); err != nil {
				return auth.User{}, err
			}
			u.EmailVerifiedAt = now
		}
		return u, s.notice(ctx, tx, outbox.KindPasswordChanged, u, c)
	})
	proven.Finish(err, true)
	if err != nil {
		return Started{}, fmt.Errorf("reset password: %w", err)
	}
	return st, nil
}

// notice queues a mail about u's account, when mail is on.
func (s *Service) notice(ctx context.Context, tx Tx, kind string, u auth.User, c Client) error {
	if !s.notify {
		return nil
	}
	return tx.Enqueue(ctx, outbox.Job{Kind: kind, UserID: u.ID, Email: u.Email, Data: c.Requester(s.now()), CreatedAt: s.now()})
}
