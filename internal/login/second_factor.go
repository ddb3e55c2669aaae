package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/tokens"
)

// PendingTTL is how long a log-in whose password was right waits for its second factor.
const PendingTTL = 5 * time.Minute

// SecondFactors asks and checks accounts' second factors: the mfa package's Service.
type SecondFactors interface {
	// Enrolled reports whether the account has a second factor in use.
	Enrolled(ctx context.Context, userID int64) (bool, error)
	// Verify checks p for the account under its code throttle (auth.ErrCodeRequired
	// when the account has a factor and p is empty; a wrong code is
	// auth.ErrCodeWrong or auth.ErrRecoveryCodeWrong, already counted). An account
	// without a factor needs nothing: its Proven spends nothing.
	Verify(ctx context.Context, userID int64, p auth.Proof, c Client) (Proven, error)
}

// Proven is a second factor that was checked and is not yet used up.
type Proven interface {
	// Spend uses it up in the transaction that acts on it (a code's step, or the
	// recovery code), with the events and mail that go with that. A racing request
	// that spent it first makes this a wrong code.
	Spend(ctx context.Context, tx Tx, c Client) (Spent, error)
	// Finish gives the code throttle the action's outcome: err is how it ended;
	// loggedIn says it was a log-in, the only success that clears the account's count
	// of wrong codes.
	Finish(err error, loggedIn bool)
}

// Spent is what proved the second factor: "" (none was needed), "totp" or
// "recovery-code", and for a recovery code how many the account has left.
type Spent struct {
	Method            string
	RecoveryCodesLeft int
}

// Methods of a second factor, as Spent and the events name them.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery-code"
)

// Prover checks and spends a second factor before a sensitive change that runs its own
// transaction (a change of email, deleting the account): the mfa package's Service.
// An account without a second factor needs none.
type Prover interface {
	Prove(ctx context.Context, u auth.User, p auth.Proof, c Client) error
}

// NoProver is Prover on a server without second factors.
type NoProver struct{}

// Prove needs nothing.
func (NoProver) Prove(context.Context, auth.User, auth.Proof, Client) error { return nil }

// PendingLogins keeps the log-ins waiting for a second factor between requests (the
// store, so any instance can finish what another began).
type PendingLogins interface {
	PendingLogin(ctx context.Context, hash string) (auth.PendingLogin, error)
	FailPendingLogin(ctx context.Context, hash string) (int, error)
}

// NoSecondFactors is SecondFactors on a server without them: no account has one.
type NoSecondFactors struct{}

// Enrolled is always false.
func (NoSecondFactors) Enrolled(context.Context, int64) (bool, error) { return false, nil }

// Verify needs nothing.
func (NoSecondFactors) Verify(context.Context, int64, auth.Proof, Client) (Proven, error) {
	return NothingToSpend{}, nil
}

// NothingToSpend is the Proven of an account without a second factor.
type NothingToSpend struct{}

// Spend spends nothing.
func (NothingToSpend) Spend(context.Context, Tx, Client) (Spent, error) { return Spent{}, nil }

// Finish has no throttle to tell.
func (NothingToSpend) Finish(error, bool) {}

// Pending is a log-in that waits for its second factor: the client keeps Token (in an
// HttpOnly cookie) and sends it with the code.
type Pending struct {
	Token     string
	ExpiresAt time.Time
	Methods   []string // what may finish it: "totp", "recoveryCode"
}

// Finished is a log-in finished by its second factor.
type Finished struct {
	Started
	Spent Spent
}

// pend records a log-in of u that waits for its second factor.
func (s *Service) pend(ctx context.Context, u auth.User, method string) (Pending, error) {
	token, hash, err := tokens.New()
	if err != nil {
		return Pending{}, err
	}
	now := s.now()
	p := auth.PendingLogin{Hash: hash, UserID: u.ID, Method: method, CreatedAt: now, ExpiresAt: now.Add(PendingTTL)}
	if err := s.store.InTx(ctx, func(tx Tx) error { return tx.InsertPendingLogin(ctx, p) }); err != nil {
		return Pending{}, fmt.Errorf("log-in of user %d waits for a second factor: %w", u.ID, err)
	}
	return Pending{Token: token, ExpiresAt: p.ExpiresAt, Methods: []string{"totp", "recoveryCode"}}, nil
}

// SecondFactor finishes a pending log-in with a code or a recovery code: the attempt
// (token) is spent with the code, and the session starts, in one transaction. A wrong
// code counts on the attempt (five end it) and on the account's code counter, which
// only a finished log-in clears.
func (s *Service) SecondFactor(ctx context.Context, token string, p auth.Proof, c Client) (Finished, error) {
	if s.pending == nil || !tokens.WellFormed(token) {
		return Finished{}, auth.ErrAttemptEnded
	}
	hash := tokens.Hash(token)
	att, err := s.pending.PendingLogin(ctx, hash)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && !att.Usable(s.now())) {
		return Finished{}, auth.ErrAttemptEnded
	}
	if err != nil {
		return Finished{}, fmt.Errorf("second factor: %w", err)
	}
	proven, err := s.factors.Verify(ctx, att.UserID, p, c)
	if err != nil {
		return Finished{}, s.refuse(ctx, hash, err)
	}
	var spent Spent
	detail := map[string]string{}
	st, err := s.startWith(ctx, c, events.Login, detail, func(ctx context.Context, tx Tx) (auth.User, error) {
		if att, err = tx.RedeemPendingLogin(ctx, hash, s.now()); err != nil {
			if errors.Is(err, auth.ErrNotFound) {
				return auth.User{}, auth.ErrAttemptEnded // finished by a racing request
			}
			return auth.User{}, err
		}
		acct, err := tx.Account(ctx, att.UserID)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.User{}, auth.ErrAttemptEnded
		}
		if err != nil {
			return auth.User{}, err
		}
		if acct.Disabled() {
			return auth.User{}, auth.ErrAccountDisabled // disabled while the code was typed
		}
		if spent, err = proven.Spend(ctx, tx, c); err != nil {
			return auth.User{}, err
		}
		detail[events.DetailMethod] = att.Method + "+" + spent.Method
		return acct.User, nil
	})
	proven.Finish(err, true)
	if err != nil {
		return Finished{}, s.refuse(ctx, hash, err)
	}
	return Finished{Started: st, Spent: spent}, nil
}

// refuse answers a second factor that did not finish the log-in. A wrong code counts
// on the attempt, and the attempt's fifth ends it; it is a 401, as a wrong password is.
func (s *Service) refuse(ctx context.Context, hash string, err error) error {
	var e *auth.Error
	wrong := errors.Is(err, auth.ErrCodeWrong) || errors.Is(err, auth.ErrRecoveryCodeWrong)
	if !wrong || !errors.As(err, &e) {
		return fmt.Errorf("second factor: %w", err)
	}
	n, ferr := s.pending.FailPendingLogin(ctx, hash)
	if ferr != nil {
		return fmt.Errorf("second factor: %w", ferr)
	}
	if n >= auth.MaxCodeFailures {
		fields := map[string]string{"attempt": auth.MsgAttemptEnded}
		for k, v := range e.Fields {
			fields[k] = v
		}
		return &auth.Error{Code: auth.EUnauthorized, Message: auth.MsgAttemptEnded, Fields: fields}
	}
	return auth.Unauthorized(e)
}
