package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// HashGate bounds how many password hashes run at once; Acquire fails fast when the
// queue is full.
type HashGate interface {
	Acquire(ctx context.Context) (release func(), err error)
}

// Service verifies identities (a password, throttled, with failures that all cost the
// same) and prepares new credentials (a sign-up's account, a changed password's hash)
// under the password rules. It writes no session: the login package starts those.
type Service struct {
	users    UserStore
	hasher   PasswordHasher
	log      *slog.Logger
	common   *CommonPasswords
	throttle LoginThrottle
	policy   ThrottlePolicy
	// codePolicy is the throttle of second-factor codes, counted per account on a key of
	// their own (codeKey).
	codePolicy ThrottlePolicy
	gate       HashGate
	now        func() time.Time
	// decoys holds a hash of each kind the hasher verifies, in a fixed order. A failed
	// log-in verifies against the decoy of every kind it did not check (all of them for
	// an unknown name), so every failure costs one verification of each kind, and timing
	// tells neither which accounts exist nor which still have an adopted bcrypt hash.
	decoys []decoy
	kindOf func(hash string) string
	queues keyQueues // this process's attempts in line per throttle key
	// failed is told of each failed or throttled log-in on an existing account.
	failed func(LoginFailure)
}

// LoginFailure is a refused log-in on an existing account: a wrong password, or one
// the throttle refused before checking it.
type LoginFailure struct {
	UserID             int64
	Throttled          bool
	Address, UserAgent string
}

// WithFailureObserver tells fn of each failed or throttled log-in on an existing
// account (never of an unknown name). fn runs on the request path, after the answer is
// decided: it must return at once and do no I/O (the events Aggregator's Observe), so
// that the timing of a failure does not depend on it.
func WithFailureObserver(fn func(LoginFailure)) Option { return func(s *Service) { s.failed = fn } }

// observeFailure tells the observer of a refused log-in on an existing account.
func (s *Service) observeFailure(found bool, userID int64, throttled bool, in LoginInput) {
	if s.failed == nil || !found {
		return
	}
	s.failed(LoginFailure{UserID: userID, Throttled: throttled, Address: in.Address, UserAgent: in.UserAgent})
}

// Option configures a Service.
type Option func(*Service)

// WithThrottle counts failed log-ins in t and makes accounts wait as p says.
func WithThrottle(t LoginThrottle, p ThrottlePolicy) Option {
	return func(s *Service) { s.throttle, s.policy = t, p }
}

// WithHashGate runs every hash through g.
func WithHashGate(g HashGate) Option { return func(s *Service) { s.gate = g } }

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithCommonPasswords replaces the embedded common-password list (nil disables it).
func WithCommonPasswords(c *CommonPasswords) Option { return func(s *Service) { s.common = c } }

// MaxPasswordBytes is implemented by hashers that read only part of a password (bcrypt),
// so the service can refuse longer passwords rather than let them be cut.
type MaxPasswordBytes interface {
	MaxPasswordBytes() int
}

// NewService returns a Service over users, hashing with hasher.
func NewService(users UserStore, hasher PasswordHasher, log *slog.Logger, opts ...Option) (*Service, error) {
	s := &Service{users: users, hasher: hasher, log: log, now: time.Now, policy: DefaultThrottle, codePolicy: CodeThrottle}
	s.common = NewCommonPasswords()
	for _, o := range opts {
		o(s)
	}
	if err := s.makeDecoys(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkNewPassword applies the rules beyond length: not personal, not common, and no
// longer than the hasher reads.
func (s *Service) checkNewPassword(pw, username, email, field string) error {
	if m := s.common.passwordProblem(pw, username, email); m != "" {
		return invalid(map[string]string{field: m})
	}
	if m, ok := s.hasher.(MaxPasswordBytes); ok && len(pw) > m.MaxPasswordBytes() {
		return invalid(map[string]string{field: MsgPasswordBcrypt})
	}
	return nil
}

// hash and verify run the hasher through the gate, when there is one.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return s.hasher.Hash(pw)
}

func (s *Service) verify(ctx context.Context, hash, pw string) (ok, rehash bool, err error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	return s.hasher.Verify(hash, pw)
}

func (s *Service) acquire(ctx context.Context) (func(), error) {
	if s.gate == nil {
		return func() {}, nil
	}
	release, err := s.gate.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // the client went away while waiting: nothing to shed
		}
		return nil, Unavailable(time.Second, fmt.Errorf("%w: %w", ErrShed, err))
	}
	return release, nil
}

// upgradeHash stores a fresh hash; failing is logged, not fatal, since the log-in stands.
func (s *Service) upgradeHash(ctx context.Context, id int64, password string) {
	hash, err := s.hash(ctx, password)
	if err == nil {
		err = s.users.SetPasswordHash(ctx, id, hash)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password hash upgrade failed", "user_id", id, "err", err)
	}
}
