// Package account is what a person does to their account as a whole: delete it, with
// everything authme keeps for it, or take a copy of all of that (data portability). It
// holds the domain only: the store reads the rows and deletes them in one transaction.
package account

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/session"
)

// MsgDeleted is the answer to a deletion that went through.
const MsgDeleted = "Your account and everything authme kept for it are deleted. Its username and email address are free again."

// Profile is the account's own row, without its password hash.
type Profile struct {
	ID       int64
	Username string
	Email    string
	// CreatedAt and UpdatedAt are the row's; apps built on the Express backend write
	// them too.
	CreatedAt time.Time
	UpdatedAt time.Time
	// EmailVerifiedAt is zero when the address was never proven; DisabledAt is zero when
	// the account is enabled.
	EmailVerifiedAt time.Time
	DisabledAt      time.Time
}

// Token is a mailed token as its owner may see it: what it is for, the address it went
// to and when it ends. Never its hash, nor the stamp that binds it to the password hash.
type Token struct {
	Purpose   string
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Mail is a row of the outbox about the account: queued, being sent, sent, failed or
// dropped. Rows are the account's when they name it, or when they name no account
// and go to its address (a reset or verification asked for by address).
type Mail struct {
	ID        int64
	Kind      string
	Email     string
	Data      string // the JSON object as stored; the sender empties it once it is sent
	CreatedAt time.Time
	NotBefore time.Time
	Attempts  int
	SentAt    time.Time // zero: not sent
	FailedAt  time.Time // zero: not failed
	DroppedAt time.Time // zero: not dropped
	LastError string
}

// Throttle is one log-in throttle row of the account: its own key or one of its known
// devices'.
type Throttle struct {
	Key          string
	Failures     int
	BlockedUntil time.Time // zero when it is not blocked
	UpdatedAt    time.Time
}

// SecondFactor is what the account's second factor is, without its secret or the
// recovery codes' hashes.
type SecondFactor struct {
	EnrolledAt             time.Time // zero: no authenticator app (or none waiting)
	ConfirmedAt            time.Time // zero: not in use
	RecoveryCodesRemaining int
	PendingLogins          int // log-ins waiting for a code
}

// Data is everything authme stores about an account.
type Data struct {
	Profile      Profile
	Sessions     []session.Session // every stored session, newest first, ended or not yet purged
	Events       []events.Event    // newest first
	Tokens       []Token
	Mail         []Mail
	Throttles    []Throttle
	SecondFactor SecondFactor
	Passkeys     []auth.Passkey
}

// Store reads an account's rows and deletes them: the store package's DB.
type Store interface {
	// DeleteAccount deletes the account and every row authme keeps for it in one
	// transaction; auth.ErrAccountReferenced (nothing deleted) when a table authme does
	// not own still refers to it.
	DeleteAccount(ctx context.Context, userID int64) error

	// Each reads one kind of row of the account; AccountProfile is auth.ErrNotFound
	// when there is no such account.
	AccountProfile(ctx context.Context, userID int64) (Profile, error)
	AccountSessions(ctx context.Context, userID int64) ([]session.Session, error)
	AccountEvents(ctx context.Context, userID int64) ([]events.Event, error)
	AccountTokens(ctx context.Context, userID int64) ([]Token, error)
	AccountMail(ctx context.Context, userID int64) ([]Mail, error)
	AccountThrottles(ctx context.Context, userID int64) ([]Throttle, error)
	AccountSecondFactor(ctx context.Context, userID int64) (SecondFactor, error)
	Passkeys(ctx context.Context, userID int64) ([]auth.Passkey, error)
}

// Passwords checks a logged-in user's password before a change to the account: the auth
// package's Service, which throttles the check like a log-in.
type Passwords interface {
	CheckPassword(ctx context.Context, u auth.User, password, field string) error
}

// Service deletes and exports accounts at their owner's request.
type Service struct {
	store     Store
	passwords Passwords
	factors   login.Prover
	log       *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithFactors asks the account's second factor, when it has one, before deleting it.
func WithFactors(f login.Prover) Option { return func(s *Service) { s.factors = f } }

// New returns a Service over st that checks passwords with pw and logs to log.
func New(st Store, pw Passwords, log *slog.Logger, opts ...Option) *Service {
	s := &Service{store: st, passwords: pw, log: log, factors: login.NoProver{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Delete deletes u's account once password (and the second factor p, if any) is theirs (checked, and throttled, like a
// log-in; a wrong one is a 400 naming "password"). Its sessions, tokens, queued mail,
// throttle rows and security events go with it in one transaction, so its tokens die on
// every instance at the commit and its username and email are free again. The events
// go too, so the deletion is logged for the operator instead, asked from o.
func (s *Service) Delete(ctx context.Context, u auth.User, password string, p auth.Proof, o events.Origin) error {
	// Every enrolled factor is asked before a change to the account's existence
	// (account-flows.md): the password, then the second factor when there is one.
	if err := s.passwords.CheckPassword(ctx, u, password, "password"); err != nil {
		return err
	}
	c := login.Client{Address: o.Address, UserAgent: o.UserAgent, Replaces: o.SessionID}
	if err := s.factors.Prove(ctx, u, p, c); err != nil {
		return err
	}
	if err := s.store.DeleteAccount(ctx, u.ID); err != nil {
		return fmt.Errorf("delete account %d: %w", u.ID, err)
	}
	if s.log != nil {
		s.log.InfoContext(ctx, "account deleted", "user_id", u.ID, "by", "owner",
			"address", o.Address, "session", o.SessionID)
	}
	return nil
}

// Export reads everything authme stores about the account userID: no password hash,
// no token hash, no secret.
func (s *Service) Export(ctx context.Context, userID int64) (Data, error) {
	var d Data
	var err error
	if d.Profile, err = s.store.AccountProfile(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.Sessions, err = s.store.AccountSessions(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.Events, err = s.store.AccountEvents(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.Tokens, err = s.store.AccountTokens(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.Mail, err = s.store.AccountMail(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.Throttles, err = s.store.AccountThrottles(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.SecondFactor, err = s.store.AccountSecondFactor(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	if d.Passkeys, err = s.store.Passkeys(ctx, userID); err != nil {
		return Data{}, fmt.Errorf("export account %d: %w", userID, err)
	}
	return d, nil
}
