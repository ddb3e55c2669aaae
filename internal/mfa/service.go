// Package mfa is authme's second factor: codes from an authenticator app (TOTP, RFC
// 6238) and single-use recovery codes. It enrols, checks and removes them; the login
// package asks it for the second factor of a log-in, and every sensitive change asks it
// beside the password. Secrets are sealed under ENCRYPTION_KEY before they are stored.
package mfa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/outbox"
)

// Store is what the second factors need from the database: the store's DB.
type Store interface {
	InTx(ctx context.Context, fn func(login.Tx) error) error
	TOTPFactor(ctx context.Context, userID int64) (auth.TOTPFactor, error)
	CountRecoveryCodes(ctx context.Context, userID int64) (int, error)
	HasRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error)
}

// Checks is what the second factors need of the auth package's Service: the account's
// password before a change, and the throttle of codes.
type Checks interface {
	CheckPassword(ctx context.Context, u auth.User, password, field string) error
	ReserveCode(ctx context.Context, userID int64) (finish func(auth.AttemptOutcome) error, err error)
}

// Options configure a Service.
type Options struct {
	// Keys seals and opens secrets; nil: the server has no ENCRYPTION_KEY, and
	// authenticator apps can be neither enrolled nor checked.
	Keys *Keyring
	// Issuer is the name authenticator apps show beside the account.
	Issuer string
	// Notify mails notices (turned on, turned off, recovery code used) through the
	// outbox; Wake tells the sender one is queued.
	Notify bool
	Wake   func()
	Now    func() time.Time
	Log    *slog.Logger
}

// Service enrols, checks and removes second factors.
type Service struct {
	store  Store
	checks Checks
	keys   *Keyring
	issuer string
	notify bool
	wake   func()
	now    func() time.Time
	log    *slog.Logger
}

// New returns a Service over st, checking passwords and throttling codes with ch.
func New(st Store, ch Checks, o Options) *Service {
	s := &Service{store: st, checks: ch, keys: o.Keys, issuer: o.Issuer, notify: o.Notify, wake: o.Wake, now: o.Now, log: o.Log}
	if s.issuer == "" {
		s.issuer = "authme"
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Status is what an account's owner sees of its second factor.
type Status struct {
	Enabled                bool
	EnabledAt              time.Time
	RecoveryCodesRemaining int
}

// Status reads the account's second factor.
func (s *Service) Status(ctx context.Context, userID int64) (Status, error) {
	f, err := s.factor(ctx, userID)
	if err != nil {
		return Status{}, err
	}
	if !f.Confirmed() {
		return Status{}, nil
	}
	n, err := s.store.CountRecoveryCodes(ctx, userID)
	if err != nil {
		return Status{}, fmt.Errorf("second factor of user %d: %w", userID, err)
	}
	return Status{Enabled: true, EnabledAt: f.ConfirmedAt, RecoveryCodesRemaining: n}, nil
}

// Enrolled reports whether the account has a second factor in use.
func (s *Service) Enrolled(ctx context.Context, userID int64) (bool, error) {
	f, err := s.factor(ctx, userID)
	return f.Confirmed(), err
}

// factor reads the account's secret row; none is the zero factor.
func (s *Service) factor(ctx context.Context, userID int64) (auth.TOTPFactor, error) {
	f, err := s.store.TOTPFactor(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.TOTPFactor{}, nil
	}
	if err != nil {
		return auth.TOTPFactor{}, fmt.Errorf("second factor of user %d: %w", userID, err)
	}
	return f, nil
}

// open decrypts the factor's secret. A key the keyring lacks (dropped before the
// secrets were re-sealed) is the operator's to fix: logged, and a 503 to the client.
func (s *Service) open(ctx context.Context, f auth.TOTPFactor) (string, error) {
	if s.keys == nil {
		return "", auth.ErrTOTPOff
	}
	b, err := s.keys.Open(f.UserID, f.Sealed, f.KeyID)
	if err != nil {
		s.log.ErrorContext(ctx, "cannot open a totp secret: is its key still in ENCRYPTION_KEY?", "user_id", f.UserID, "key_id", f.KeyID, "err", err)
		return "", auth.Unavailable(time.Minute, err)
	}
	return string(b), nil
}

// notice queues a mail about u's second factor, when mail is on.
func (s *Service) notice(ctx context.Context, tx login.Tx, kind string, u auth.User, c login.Client, data map[string]string) error {
	if !s.notify {
		return nil
	}
	who := c.Requester(s.now())
	for k, v := range data {
		who[k] = v
	}
	return tx.Enqueue(ctx, outbox.Job{Kind: kind, UserID: u.ID, Email: u.Email, Data: who, CreatedAt: s.now()})
}

// record writes a security event of the account in its own transaction.
func (s *Service) record(ctx context.Context, e events.Event) {
	// Recorded even when the client has gone: the guess was checked.
	ctx = context.WithoutCancel(ctx)
	err := s.store.InTx(ctx, func(tx login.Tx) error { return tx.RecordEvent(ctx, e) })
	if err != nil {
		s.log.WarnContext(ctx, "recording a security event failed", "user_id", e.UserID, "kind", e.Kind, "err", err)
	}
}
