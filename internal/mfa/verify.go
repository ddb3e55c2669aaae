package mfa

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/outbox"
)

// Verify checks p as the account's second factor: under the account's code throttle
// (reserved before the check), a TOTP code against the steps around now that are later
// than the last one accepted, or a recovery code against the unused ones. A wrong code is
// counted, recorded as an event and refused (auth.ErrCodeWrong, auth.ErrRecoveryCodeWrong);
// input that cannot be a code is refused uncounted. An account without a second factor
// needs none: what it gives is ignored.
func (s *Service) Verify(ctx context.Context, userID int64, p auth.Proof, c login.Client) (login.Proven, error) {
	f, err := s.factor(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !f.Confirmed() {
		return login.NothingToSpend{}, nil
	}
	switch {
	case p.Code != "" && p.RecoveryCode != "":
		return nil, auth.Invalid(map[string]string{"code": auth.MsgProofBoth})
	case p.Empty():
		return nil, auth.ErrCodeRequired
	case p.Code != "":
		return s.verifyCode(ctx, f, p.Code, c)
	}
	return s.verifyRecoveryCode(ctx, userID, p.RecoveryCode, c)
}

func (s *Service) verifyCode(ctx context.Context, f auth.TOTPFactor, code string, c login.Client) (login.Proven, error) {
	if _, ok := NormalizeCode(code); !ok {
		return nil, auth.Invalid(map[string]string{"code": auth.MsgCodeMalformed})
	}
	secret, err := s.open(ctx, f)
	if err != nil {
		return nil, err
	}
	finish, err := s.checks.ReserveCode(ctx, f.UserID)
	if err != nil {
		return nil, err
	}
	step, ok, err := Match(secret, code, s.now(), f.LastStep)
	if err != nil {
		finish(auth.AttemptAbandoned) //nolint:errcheck // the check failed: nothing to count
		return nil, err
	}
	if !ok {
		return nil, s.wrong(ctx, f.UserID, finish, login.MethodTOTP, auth.ErrCodeWrong, c)
	}
	return &proven{s: s, userID: f.UserID, step: step, finish: finish}, nil
}

func (s *Service) verifyRecoveryCode(ctx context.Context, userID int64, code string, c login.Client) (login.Proven, error) {
	hash, ok := RecoveryCodeHash(code)
	if !ok {
		return nil, auth.Invalid(map[string]string{"recoveryCode": auth.MsgRecoveryMalformed})
	}
	finish, err := s.checks.ReserveCode(ctx, userID)
	if err != nil {
		return nil, err
	}
	has, err := s.store.HasRecoveryCode(ctx, userID, hash)
	if err != nil {
		finish(auth.AttemptAbandoned) //nolint:errcheck // the check failed: nothing to count
		return nil, err
	}
	if !has {
		return nil, s.wrong(ctx, userID, finish, login.MethodRecoveryCode, auth.ErrRecoveryCodeWrong, c)
	}
	return &proven{s: s, userID: userID, recoveryHash: hash, finish: finish}, nil
}

// wrong counts a wrong code on the account's code throttle, records it, and returns
// refusal.
func (s *Service) wrong(ctx context.Context, userID int64, finish func(auth.AttemptOutcome) error, method string, refusal error, c login.Client) error {
	if err := finish(auth.AttemptFailed); err != nil {
		return err
	}
	e := c.Origin(c.Replaces).Event(userID, events.SecondFactorFailed, s.now())
	e.Detail = map[string]string{events.DetailMethod: method}
	s.record(ctx, e)
	return refusal
}

// proven is a checked second factor: a TOTP step, or a recovery code's hash.
type proven struct {
	s            *Service
	userID       int64
	step         int64
	recoveryHash string
	finish       func(auth.AttemptOutcome) error
	once         sync.Once
}

// Spend uses the code up in tx. A step another request accepted first, or a recovery
// code it used first, is a wrong code.
func (p *proven) Spend(ctx context.Context, tx login.Tx, c login.Client) (login.Spent, error) {
	if p.recoveryHash == "" {
		err := tx.SpendTOTPStep(ctx, p.userID, p.step)
		if errors.Is(err, auth.ErrNotFound) {
			return login.Spent{}, auth.ErrCodeWrong
		}
		return login.Spent{Method: login.MethodTOTP}, err
	}
	left, err := tx.SpendRecoveryCode(ctx, p.userID, p.recoveryHash)
	if errors.Is(err, auth.ErrNotFound) {
		return login.Spent{}, auth.ErrRecoveryCodeWrong
	}
	if err != nil {
		return login.Spent{}, err
	}
	e := c.Origin(c.Replaces).Event(p.userID, events.RecoveryCodeUsed, p.s.now())
	e.Detail = map[string]string{events.DetailRemaining: strconv.Itoa(left)}
	if err := tx.RecordEvent(ctx, e); err != nil {
		return login.Spent{}, err
	}
	acct, err := tx.Account(ctx, p.userID)
	if err != nil {
		return login.Spent{}, err
	}
	err = p.s.notice(ctx, tx, outbox.KindRecoveryCodeUsed, acct.User, c, map[string]string{outbox.DataRemaining: strconv.Itoa(left)})
	return login.Spent{Method: login.MethodRecoveryCode, RecoveryCodesLeft: left}, err
}

// Finish gives the throttle the outcome, once: a code spent by a racing request counts
// as wrong; a success clears the account's count only when it finished a log-in.
func (p *proven) Finish(err error, loggedIn bool) {
	p.once.Do(func() {
		outcome := auth.AttemptAbandoned
		switch {
		case err == nil && loggedIn:
			outcome = auth.AttemptSucceeded
		case errors.Is(err, auth.ErrCodeWrong) || errors.Is(err, auth.ErrRecoveryCodeWrong):
			outcome = auth.AttemptFailed
		}
		if ferr := p.finish(outcome); ferr != nil {
			p.s.log.Warn("recording a second-factor outcome failed", "user_id", p.userID, "err", ferr)
		}
		if err == nil && p.recoveryHash != "" {
			p.s.wake() // the notice of a used recovery code
		}
	})
}

// Prove checks p and spends it at once, for a change that runs its own transaction
// after (the code is used even if that change then fails).
func (s *Service) Prove(ctx context.Context, u auth.User, p auth.Proof, c login.Client) error {
	pv, err := s.Verify(ctx, u.ID, p, c)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx login.Tx) error {
		_, err := pv.Spend(ctx, tx, c)
		return err
	})
	pv.Finish(err, false)
	return err
}
