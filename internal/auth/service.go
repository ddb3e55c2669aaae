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

// Service signs people up, logs them in and changes their passwords.
type Service struct {
	users    UserStore
	hasher   PasswordHasher
	log      *slog.Logger
	common   *CommonPasswords
	throttle LoginThrottle
	policy   ThrottlePolicy
	gate     HashGate
	now      func() time.Time
	// decoys holds a hash of each kind the hasher verifies, in a fixed order. A failed
	// log-in verifies against the decoy of every kind it did not check (all of them for
	// an unknown name), so every failure costs one verification of each kind, and timing
	// tells neither which accounts exist nor which still have an adopted bcrypt hash.
	decoys []decoy
	kindOf func(hash string) string
	queues keyQueues // this process's attempts in line per throttle key
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
	s := &Service{users: users, hasher: hasher, log: log, now: time.Now, policy: DefaultThrottle}
	s.common = NewCommonPasswords()
	for _, o := range opts {
		o(s)
	}
	if err := s.makeDecoys(); err != nil {
		return nil, err
	}
	return s, nil
}

// Signup validates in, hashes the password and creates the user. A taken username or
// email is an EConflict error naming the field.
func (s *Service) Signup(ctx context.Context, in SignupInput) (User, error) {
	return s.signup(ctx, in, nil)
}

// SignupWithSession is Signup that also records the session newSession makes for the new
// user, in the same transaction: a sign-up that fails half-way (the database going away
// between the two inserts) leaves no account its client was told was not made.
func (s *Service) SignupWithSession(ctx context.Context, in SignupInput, newSession func(User) (Session, error)) (User, error) {
	return s.signup(ctx, in, newSession)
}

func (s *Service) signup(ctx context.Context, in SignupInput, newSession func(User) (Session, error)) (User, error) {
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	if err := s.checkNewPassword(in.Password, in.Username, in.Email, "password"); err != nil {
		return User{}, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return User{}, fmt.Errorf("signup %q: %w", in.Username, err)
	}
	var u User
	if newSession == nil {
		u, err = s.users.CreateUser(ctx, in.Username, in.Email, hash)
	} else {
		u, err = s.users.CreateUserWithSession(ctx, in.Username, in.Email, hash, newSession)
	}
	if err != nil {
		return User{}, fmt.Errorf("signup %q: %w", in.Username, err)
	}
	return u, nil
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

// ChangePasswordInput is what a logged-in person gives to change their password.
type ChangePasswordInput struct {
	CurrentPassword string
	NewPassword     string
}

// Messages for password changes.
const (
	MsgCurrentPassword      = "Current password is required"
	MsgCurrentPasswordWrong = "Current password is incorrect"
)

// ChangePassword checks u's current password (throttled like a log-in), then stores the
// new hash and replaces every session of u by replacement, in one transaction.
func (s *Service) ChangePassword(ctx context.Context, u User, in ChangePasswordInput, replacement Session) error {
	f := map[string]string{}
	if in.CurrentPassword == "" {
		f["currentPassword"] = MsgCurrentPassword
	}
	if n := len([]rune(in.NewPassword)); n < PasswordMin || n > PasswordMax {
		f["newPassword"] = MsgPasswordLength
	}
	if len(f) > 0 {
		return invalid(f)
	}
	if err := s.checkNewPassword(in.NewPassword, u.Username, u.Email, "newPassword"); err != nil {
		return err
	}
	c, err := s.users.UserCredentialsByID(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", u.ID, err)
	}
	finish, err := s.reserve(ctx, accountKey(u.ID))
	if err != nil {
		return err
	}
	ok, _, err := s.verify(ctx, c.PasswordHash, in.CurrentPassword)
	if err != nil {
		finish(AttemptAbandoned)
		return fmt.Errorf("change password of user %d: %w", u.ID, err)
	}
	if !ok {
		if err := finish(AttemptFailed); err != nil {
			return err
		}
		return invalid(map[string]string{"currentPassword": MsgCurrentPasswordWrong})
	}
	finish(AttemptSucceeded)
	hash, err := s.hash(ctx, in.NewPassword)
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", u.ID, err)
	}
	if err := s.users.ReplacePassword(ctx, u.ID, hash, replacement); err != nil {
		return fmt.Errorf("change password of user %d: %w", u.ID, err)
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
