package recovery

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/outbox"
	"authme/internal/tokens"
)

// RequestEmailChange checks u's password (throttled like a log-in) and second factor,
// when u has one, then queues a confirmation link to the new address and a notice to the
// old one. Nothing changes until the link is followed.
func (s *Service) RequestEmailChange(ctx context.Context, u auth.User, password, email string, p auth.Proof, c login.Client) error {
	if !s.mailOn {
		return auth.ErrMailOff
	}
	if err := checkAddress(email); err != nil {
		return err
	}
	if strings.EqualFold(email, u.Email) {
		return &auth.Error{Code: auth.EInvalid, Message: auth.MsgBadRequest, Fields: map[string]string{"email": MsgSameEmail}}
	}
	if err := s.passwords.CheckPassword(ctx, u, password, "password"); err != nil {
		return err
	}
	if err := s.factors.Prove(ctx, u, p, c); err != nil {
		return err
	}
	// A taken address is refused now, as sign-up refuses it; the confirmation checks
	// again, since another account may take it in between.
	if _, err := s.store.UserByEmail(ctx, email); err == nil {
		return auth.Conflict("email")
	} else if !errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("change email of user %d: %w", u.ID, err)
	}
	now := s.now()
	who := c.Requester(now)
	who[outbox.DataNewEmail] = email
	err := s.store.InTx(ctx, func(tx login.Tx) error {
		if err := tx.Enqueue(ctx, outbox.Job{Kind: outbox.KindEmailChangeConfirm, UserID: u.ID, Email: email, Data: who, CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, outbox.Job{Kind: outbox.KindEmailChangeNotice, UserID: u.ID, Email: u.Email, Data: who, CreatedAt: now}); err != nil {
			return err
		}
		// c comes from u's own session (Replaces), which the event names.
		return tx.RecordEvent(ctx, c.Origin(c.Replaces).Event(u.ID, events.EmailChangeRequested, now))
	})
	if err != nil {
		return fmt.Errorf("change email of user %d: %w", u.ID, err)
	}
	s.wake()
	return nil
}

// ConfirmEmailChange spends a change-of-email token: the account moves to the new
// address (verified, since the link reached it), every session but keep ends, every
// outstanding link is voided, and the old address is mailed a link to undo the change.
// keep is the session of the request when it belongs to the same account ("" if none).
func (s *Service) ConfirmEmailChange(ctx context.Context, token string, keep Session, c login.Client) (auth.User, error) {
	var u auth.User
	err := s.redeem(ctx, token, tokens.EmailChange, func(ctx context.Context, tx login.Tx, acct auth.Credentials, rec tokens.Record) error {
		if !tokens.StampMatches(rec.Stamp, tokens.AccountStamp(tokens.EmailChange, acct.Email, acct.PasswordHash)) {
			return auth.ErrBadToken
		}
		old := acct.User
		u = old
		u.Email, u.EmailVerifiedAt = rec.Email, s.now()
		if err := tx.SetEmail(ctx, old, u.Email, u.EmailVerifiedAt); err != nil {
			return err
		}
		if err := s.endSessions(ctx, tx, u.ID, keep); err != nil {
			return err
		}
		if err := tx.DeleteTokens(ctx, u.ID, tokens.Reset, tokens.Verify, tokens.EmailChange); err != nil {
			return err
		}
		who := c.Requester(s.now())
		who[outbox.DataNewEmail] = u.Email
		if err := tx.Enqueue(ctx, outbox.Job{Kind: outbox.KindEmailChanged, UserID: u.ID, Email: old.Email, Data: who, CreatedAt: s.now()}); err != nil {
			return err
		}
		sid := ""
		if keep.UserID == u.ID {
			sid = keep.ID
		}
		return tx.RecordEvent(ctx, c.Origin(sid).Event(u.ID, events.EmailChanged, u.EmailVerifiedAt))
	})
	if err != nil {
		return auth.User{}, fmt.Errorf("confirm email change: %w", err)
	}
	s.wake()
	return u, nil
}

// UndoEmailChange spends an undo token from the old address: the account moves back to
// it, every session ends (whoever changed it is logged out), and every outstanding link
// is voided. The owner is then told to reset the password, which the page offers. c is
// the client that followed the link, for the security event.
func (s *Service) UndoEmailChange(ctx context.Context, token string, c login.Client) (auth.User, error) {
	var u auth.User
	err := s.redeem(ctx, token, tokens.EmailUndo, func(ctx context.Context, tx login.Tx, acct auth.Credentials, rec tokens.Record) error {
		u = acct.User
		u.Email, u.EmailVerifiedAt = rec.Email, s.now()
		if err := tx.SetEmail(ctx, acct.User, u.Email, u.EmailVerifiedAt); err != nil {
			return err
		}
		if err := tx.EndUserSessions(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.DeleteTokens(ctx, u.ID, tokens.Reset, tokens.Verify, tokens.EmailChange); err != nil {
			return err
		}
		return tx.RecordEvent(ctx, c.Origin("").Event(u.ID, events.EmailChangeUndone, u.EmailVerifiedAt))
	})
	if err != nil {
		return auth.User{}, fmt.Errorf("undo email change: %w", err)
	}
	return u, nil
}

// Session is the session a confirmation arrives with: kept when it is the account's.
type Session struct {
	UserID int64
	ID     string
}

func (s *Service) endSessions(ctx context.Context, tx login.Tx, userID int64, keep Session) error {
	if keep.UserID == userID && keep.ID != "" {
		return tx.EndOtherSessions(ctx, userID, keep.ID)
	}
	return tx.EndUserSessions(ctx, userID)
}
