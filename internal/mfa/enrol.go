package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/outbox"
)

// Begin starts enrolling an authenticator app for u, once u's password is checked: a
// fresh secret is sealed and kept unconfirmed (replacing one that waited), and returned
// for the app. It becomes a second factor only when Confirm gets a code of it.
func (s *Service) Begin(ctx context.Context, u auth.User, password string) (Enrolment, error) {
	if s.keys == nil {
		return Enrolment{}, auth.ErrTOTPOff
	}
	if err := s.checks.CheckPassword(ctx, u, password, "password"); err != nil {
		return Enrolment{}, err
	}
	if f, err := s.factor(ctx, u.ID); err != nil {
		return Enrolment{}, err
	} else if f.Confirmed() {
		return Enrolment{}, auth.ErrTOTPOn
	}
	en, err := newSecret(s.issuer, u.Username)
	if err != nil {
		return Enrolment{}, err
	}
	sealed, keyID, err := s.keys.Seal(u.ID, []byte(en.Secret))
	if err != nil {
		return Enrolment{}, err
	}
	f := auth.TOTPFactor{UserID: u.ID, Sealed: sealed, KeyID: keyID, CreatedAt: s.now()}
	if err := s.store.InTx(ctx, func(tx login.Tx) error { return tx.PutTOTP(ctx, f) }); err != nil {
		if errors.Is(err, auth.ErrTOTPOn) {
			return Enrolment{}, err
		}
		return Enrolment{}, fmt.Errorf("enrol totp of user %d: %w", u.ID, err)
	}
	return en, nil
}

// Enabled is a second factor just put in use, with the recovery codes shown this once.
type Enabled struct {
	At            time.Time
	RecoveryCodes []string
}

// Confirm puts u's waiting secret in use once code is one of its codes (throttled like
// every code): in one transaction it records ten new recovery codes, ends every other
// session of u (keep is this one) and every log-in waiting for a factor, records the
// event and queues the notice. The code's step is spent: it cannot also log in.
func (s *Service) Confirm(ctx context.Context, u auth.User, code, keep string, c login.Client) (Enabled, error) {
	if s.keys == nil {
		return Enabled{}, auth.ErrTOTPOff
	}
	f, err := s.factor(ctx, u.ID)
	if err != nil {
		return Enabled{}, err
	}
	switch {
	case f.Confirmed():
		return Enabled{}, auth.ErrTOTPOn
	case f.Sealed == "":
		return Enabled{}, auth.ErrNoEnrolment
	}
	if _, ok := NormalizeCode(code); !ok {
		return Enabled{}, auth.Invalid(map[string]string{"code": auth.MsgCodeMalformed})
	}
	secret, err := s.open(ctx, f)
	if err != nil {
		return Enabled{}, err
	}
	finish, err := s.checks.ReserveCode(ctx, u.ID)
	if err != nil {
		return Enabled{}, err
	}
	step, ok, err := Match(secret, code, s.now(), 0)
	if err != nil {
		finish(auth.AttemptAbandoned) //nolint:errcheck // nothing was checked
		return Enabled{}, err
	}
	if !ok {
		return Enabled{}, s.wrong(ctx, u.ID, finish, login.MethodTOTP, auth.ErrCodeWrong, c)
	}
	// Not a log-in: the account's count of wrong codes stays until one.
	defer finish(auth.AttemptAbandoned) //nolint:errcheck // only frees the place
	codes, hashes, err := NewRecoveryCodes()
	if err != nil {
		return Enabled{}, err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx login.Tx) error {
		if err := tx.ConfirmTOTP(ctx, u.ID, now, step); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, hashes, now); err != nil {
			return err
		}
		if err := s.endOthers(ctx, tx, u.ID, keep); err != nil {
			return err
		}
		if err := tx.RecordEvent(ctx, c.Origin(keep).Event(u.ID, events.TOTPEnabled, now)); err != nil {
			return err
		}
		return s.notice(ctx, tx, outbox.KindTOTPEnabled, u, c, nil)
	})
	if err != nil {
		if errors.Is(err, auth.ErrNoEnrolment) {
			return Enabled{}, err
		}
		return Enabled{}, fmt.Errorf("confirm totp of user %d: %w", u.ID, err)
	}
	s.wake()
	return Enabled{At: now, RecoveryCodes: codes}, nil
}

// Disable removes u's second factor once the password and the factor itself (a code or
// a recovery code) are checked: the secret, the recovery codes and waiting log-ins go,
// every other session of u ends, and the owner is mailed.
func (s *Service) Disable(ctx context.Context, u auth.User, password string, p auth.Proof, keep string, c login.Client) error {
	if err := s.checks.CheckPassword(ctx, u, password, "password"); err != nil {
		return err
	}
	if on, err := s.Enrolled(ctx, u.ID); err != nil {
		return err
	} else if !on {
		return auth.ErrTOTPNotOn
	}
	pv, err := s.Verify(ctx, u.ID, p, c)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx login.Tx) error {
		if _, err := pv.Spend(ctx, tx, c); err != nil {
			return err
		}
		if err := tx.DeleteSecondFactors(ctx, u.ID); err != nil {
			return err
		}
		if err := s.endOthers(ctx, tx, u.ID, keep); err != nil {
			return err
		}
		if err := tx.RecordEvent(ctx, c.Origin(keep).Event(u.ID, events.TOTPDisabled, s.now())); err != nil {
			return err
		}
		return s.notice(ctx, tx, outbox.KindTOTPDisabled, u, c, nil)
	})
	pv.Finish(err, false)
	if err != nil {
		return fmt.Errorf("turn off totp of user %d: %w", u.ID, err)
	}
	s.wake()
	return nil
}

// RegenerateCodes replaces u's recovery codes with ten new ones once the password and
// the second factor are checked; the old ones stop working.
func (s *Service) RegenerateCodes(ctx context.Context, u auth.User, password string, p auth.Proof, c login.Client) ([]string, error) {
	if err := s.checks.CheckPassword(ctx, u, password, "password"); err != nil {
		return nil, err
	}
	if on, err := s.Enrolled(ctx, u.ID); err != nil {
		return nil, err
	} else if !on {
		return nil, auth.ErrTOTPNotOn
	}
	pv, err := s.Verify(ctx, u.ID, p, c)
	if err != nil {
		return nil, err
	}
	codes, hashes, err := NewRecoveryCodes()
	if err != nil {
		pv.Finish(err, false)
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx login.Tx) error {
		if _, err := pv.Spend(ctx, tx, c); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, hashes, s.now()); err != nil {
			return err
		}
		return tx.RecordEvent(ctx, c.Origin(c.Replaces).Event(u.ID, events.RecoveryCodesGenerated, s.now()))
	})
	pv.Finish(err, false)
	if err != nil {
		return nil, fmt.Errorf("new recovery codes for user %d: %w", u.ID, err)
	}
	return codes, nil
}

// endOthers ends every session of the user but keep, and every log-in waiting for a
// second factor, recording how many sessions ended.
func (s *Service) endOthers(ctx context.Context, tx login.Tx, userID int64, keep string) error {
	if err := tx.EndOtherSessions(ctx, userID, keep); err != nil {
		return err
	}
	return tx.EndPendingLogins(ctx, userID)
}

// RemoveByOperator removes the account's second factor at the operator's word (the
// owner lost both the app and the recovery codes): secret, codes and waiting log-ins go
// and every session of the account ends.
func (s *Service) RemoveByOperator(ctx context.Context, userID int64) error {
	err := s.store.InTx(ctx, func(tx login.Tx) error {
		if err := tx.DeleteSecondFactors(ctx, userID); err != nil {
			return err
		}
		if err := tx.EndUserSessions(ctx, userID); err != nil {
			return err
		}
		e := events.Origin{}.Event(userID, events.TOTPDisabled, s.now())
		e.Detail = map[string]string{events.DetailBy: "operator"}
		return tx.RecordEvent(ctx, e)
	})
	if err != nil {
		return fmt.Errorf("remove second factor of user %d: %w", userID, err)
	}
	return nil
}
