package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Service signs people up and logs them in.
type Service struct {
	users  UserStore
	hasher PasswordHasher
	log    *slog.Logger
	// dummyHash is verified when no account matches, so an unknown name costs the same
	// hashing work as a wrong password and timing does not tell which accounts exist.
	dummyHash string
}

// MaxPasswordBytes is implemented by hashers that read only part of a password (bcrypt),
// so the service can refuse longer passwords rather than let them be cut.
type MaxPasswordBytes interface {
	MaxPasswordBytes() int
}

// NewService returns a Service over users, hashing with hasher.
func NewService(users UserStore, hasher PasswordHasher, log *slog.Logger) (*Service, error) {
	dummy, err := hasher.Hash("authme dummy password for unknown accounts")
	if err != nil {
		return nil, fmt.Errorf("make dummy hash: %w", err)
	}
	return &Service{users: users, hasher: hasher, log: log, dummyHash: dummy}, nil
}

// Signup validates in, hashes the password and creates the user. A taken username or
// email is an EConflict error naming the field.
func (s *Service) Signup(ctx context.Context, in SignupInput) (User, error) {
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	if m, ok := s.hasher.(MaxPasswordBytes); ok && len(in.Password) > m.MaxPasswordBytes() {
		return User{}, invalid(map[string]string{"password": MsgPasswordBcrypt})
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return User{}, fmt.Errorf("signup %q: %w", in.Username, err)
	}
	u, err := s.users.CreateUser(ctx, in.Username, in.Email, hash)
	if err != nil {
		return User{}, fmt.Errorf("signup %q: %w", in.Username, err)
	}
	return u, nil
}

// Login returns the user whose username or email is in.Credential (any case) when the
// password matches, else ErrInvalidCredentials. A hash in an older algorithm (bcrypt from
// the Express app) is replaced after a successful check.
func (s *Service) Login(ctx context.Context, in LoginInput) (User, error) {
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	c, err := s.users.UserCredentials(ctx, in.Credential)
	if errors.Is(err, ErrNotFound) {
		_, _, _ = s.hasher.Verify(s.dummyHash, in.Password)
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("login: %w", err)
	}
	ok, rehash, err := s.hasher.Verify(c.PasswordHash, in.Password)
	if err != nil {
		// A hash the hashers cannot read is the store's problem, not the person's.
		return User{}, fmt.Errorf("login user %d: %w", c.ID, err)
	}
	if !ok {
		return User{}, ErrInvalidCredentials
	}
	if rehash {
		s.upgradeHash(ctx, c.ID, in.Password)
	}
	return c.User, nil
}

// upgradeHash stores a fresh hash; failing is logged, not fatal, since the log-in stands.
func (s *Service) upgradeHash(ctx context.Context, id int64, password string) {
	hash, err := s.hasher.Hash(password)
	if err == nil {
		err = s.users.SetPasswordHash(ctx, id, hash)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password hash upgrade failed", "user_id", id, "err", err)
	}
}
