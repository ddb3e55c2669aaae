// Package login owns "a person becomes logged in". Every way in (a password today; a
// reset link, a second factor or a passkey later) verifies an identity first, then
// calls start, the one place that writes a session: in one transaction it applies what
// the way in changes (a new account, a new password), ends what the new session
// replaces, and records the session row; it returns the user, the session and its
// signed token, from which the HTTP layer only sets cookies.
package login

import (
	"context"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/outbox"
	"authme/internal/session"
	"authme/internal/tokens"
)

// Store runs a function in one database transaction: every write of fn commits
// together, or none does.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is what a way in may change in the transaction that starts its session.
type Tx interface {
	// CreateUser inserts an account; a taken username or email is an auth.Conflict
	// naming the fields.
	CreateUser(ctx context.Context, a auth.NewAccount) (auth.User, error)
	// SetPasswordHash replaces the user's stored hash.
	SetPasswordHash(ctx context.Context, userID int64, hash string) error
	// EndUserSessions ends every session of the user.
	EndUserSessions(ctx context.Context, userID int64) error
	// EndSession ends one session, if it is still there.
	EndSession(ctx context.Context, id string) error
	// InsertSession records a new session.
	InsertSession(ctx context.Context, s session.Session) error
	// EndOtherSessions ends every session of the user but keep.
	EndOtherSessions(ctx context.Context, userID int64, keep string) error

	// Account reads the user with their password hash, locked for the transaction.
	Account(ctx context.Context, userID int64) (auth.Credentials, error)
	// SetEmail moves the user to a new address, proven theirs at verifiedAt; a taken
	// address is an auth.Conflict.
	SetEmail(ctx context.Context, u auth.User, email string, verifiedAt time.Time) error
	// SetEmailVerified records that the user's address was proven theirs at at.
	SetEmailVerified(ctx context.Context, userID int64, at time.Time) error

	// InsertToken records a mailed token; DeleteTokens voids the user's tokens of the
	// purposes; RedeemToken uses one up (auth.ErrNotFound when it is missing or expired).
	InsertToken(ctx context.Context, r tokens.Record) error
	DeleteTokens(ctx context.Context, userID int64, purposes ...string) error
	RedeemToken(ctx context.Context, hash, purpose string, now time.Time) (tokens.Record, error)

	// Enqueue queues a mail, sent once the transaction commits.
	Enqueue(ctx context.Context, j outbox.Job) error

	// RecordEvent writes a security event, committed with what it records.
	RecordEvent(ctx context.Context, e events.Event) error

	// Second factors. Secrets arrive sealed (the mfa package seals them): the store
	// only moves rows. PutTOTP records an unconfirmed secret (auth.ErrTOTPOn when one is
	// in use); ConfirmTOTP puts it in use (auth.ErrNoEnrolment when none waits);
	// SpendTOTPStep accepts a code's step once and SpendRecoveryCode a recovery code
	// once, returning how many are left (auth.ErrNotFound refuses either).
	PutTOTP(ctx context.Context, f auth.TOTPFactor) error
	ConfirmTOTP(ctx context.Context, userID int64, at time.Time, step int64) error
	DeleteSecondFactors(ctx context.Context, userID int64) error
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string, at time.Time) error
	SpendTOTPStep(ctx context.Context, userID, step int64) error
	SpendRecoveryCode(ctx context.Context, userID int64, hash string) (int, error)
	// InsertPendingLogin records a log-in waiting for its second factor;
	// RedeemPendingLogin uses it up (auth.ErrNotFound when missing, expired or ended).
	InsertPendingLogin(ctx context.Context, p auth.PendingLogin) error
	RedeemPendingLogin(ctx context.Context, hash string, now time.Time) (auth.PendingLogin, error)
	// EndPendingLogins ends every log-in of the user waiting for a second factor: a new
	// password voids what the old one began.
	EndPendingLogins(ctx context.Context, userID int64) error

	// InsertPasskey records a registered passkey (auth.ErrPasskeyExists when its
	// credential is registered already); DeletePasskey removes one and returns how many
	// the account has left (auth.ErrPasskeyNotFound when it has no such one).
	InsertPasskey(ctx context.Context, p auth.Passkey) error
	DeletePasskey(ctx context.Context, userID int64, id string) (int, error)
}

// TokenReader reads a mailed token without using it up.
type TokenReader interface {
	PeekToken(ctx context.Context, hash, purpose string) (tokens.Record, error)
}

// Verifier verifies identities and prepares what a way in writes: the auth package's
// Service.
type Verifier interface {
	VerifyPassword(ctx context.Context, in auth.LoginInput) (auth.User, error)
	PrepareSignup(ctx context.Context, in auth.SignupInput) (auth.NewAccount, error)
	PreparePasswordChange(ctx context.Context, u auth.User, in auth.ChangePasswordInput) (string, error)
	PrepareReset(ctx context.Context, userID int64, password string) (string, error)
}

// Issuer makes a session and its signed token for a user: the session package's
// Manager.
type Issuer interface {
	New(u auth.User, userAgent string) (string, session.Session, error)
}

// Service logs people in, every way there is.
type Service struct {
	verify   Verifier
	sessions Issuer
	store    Store
	tokens   TokenReader
	now      func() time.Time
	// notify is whether account changes are mailed to their owner (false when mail is
	// off); requireVerified refuses log-ins of accounts whose address is not proven.
	notify, requireVerified bool
	// factors asks and checks second factors; pending keeps the log-ins waiting for one.
	factors SecondFactors
	pending PendingLogins
	// passkeys checks passkey log-ins; nil: the server has none.
	passkeys PasskeyVerifier
}

// Option configures a Service.
type Option func(*Service)

// WithMail has the Service mail notices (a changed password) through the outbox, and
// read reset tokens from tr.
func WithMail(tr TokenReader) Option {
	return func(s *Service) { s.tokens, s.notify = tr, true }
}

// WithTokens has the Service read reset tokens from tr without mailing notices: reset
// links already sent stay usable while mail is off.
func WithTokens(tr TokenReader) Option { return func(s *Service) { s.tokens = tr } }

// RequireVerifiedEmail refuses a log-in, after a right password, when the account's
// email address is not verified.
func RequireVerifiedEmail(on bool) Option { return func(s *Service) { s.requireVerified = on } }

// WithClock sets the clock that token expiry and verification times read.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithSecondFactors has log-ins of accounts with a second factor wait for it (kept in
// p), and sensitive changes ask it, as f says.
func WithSecondFactors(f SecondFactors, p PendingLogins) Option {
	return func(s *Service) { s.factors, s.pending = f, p }
}

// New returns a Service that verifies with v, issues sessions with i and writes to st.
func New(v Verifier, i Issuer, st Store, opts ...Option) *Service {
	s := &Service{verify: v, sessions: i, store: st, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.factors == nil {
		s.factors = NoSecondFactors{}
	}
	return s
}

// Client is what the new session learns of the browser asking for it.
type Client struct {
	UserAgent string
	Address   string // the client's IP address, for the mails that say who asked
	// Replaces is the session the request came with, if any: every log-in gets a fresh
	// token, and the old session ends with the new one's start (no fixation).
	Replaces string
}

// Started is a session that has begun.
type Started struct {
	User    auth.User
	Session session.Session
	Token   string
}

// step is what one way in writes in the session's transaction; it returns who is now
// logged in.
type step func(ctx context.Context, tx Tx) (auth.User, error)

// start is the one owner of a new session: one transaction runs the step, ends the
// session the client replaces, records the new one and the security event of kind.
func (s *Service) start(ctx context.Context, c Client, kind string, st step) (Started, error) {
	return s.startWith(ctx, c, kind, nil, st)
}

// startWith is start, with the event's detail.
func (s *Service) startWith(ctx context.Context, c Client, kind string, detail map[string]string, st step) (Started, error) {
	var out Started
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := st(ctx, tx)
		if err != nil {
			return err
		}
		tok, sess, err := s.sessions.New(u, c.UserAgent)
		if err != nil {
			return err
		}
		if c.Replaces != "" {
			if err := tx.EndSession(ctx, c.Replaces); err != nil {
				return err
			}
		}
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		e := c.Origin(sess.ID).Event(u.ID, kind, s.now())
		e.Detail = detail
		if err := tx.RecordEvent(ctx, e); err != nil {
			return err
		}
		out = Started{User: u, Session: sess, Token: tok}
		return nil
	})
	if err != nil {
		return Started{}, err
	}
	return out, nil
}
