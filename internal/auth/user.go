// Package auth is authme's domain: users, their validation, sign-up and log-in, and the
// typed errors every other layer speaks. It knows nothing of HTTP or SQL.
package auth

import (
	"context"
	"time"
)

// User is the safe view of an account: what leaves the store for the API (the seed's
// toSafeObject). The password hash is never part of it.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	// EmailVerifiedAt is when the address was last proven the owner's; zero: never. It
	// is not part of the contract's user object, which stays {id, username, email}: the
	// API shows it beside that object.
	EmailVerifiedAt time.Time `json:"-"`
	// DisabledAt is when an operator disabled the account; zero: it is enabled. Like
	// EmailVerifiedAt, it is not part of the contract's user object.
	DisabledAt time.Time `json:"-"`
}

// Disabled reports whether an operator has disabled the account.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// EmailVerified reports whether the account's address has been proven its owner's.
func (u User) EmailVerified() bool { return !u.EmailVerifiedAt.IsZero() }

// Credentials is a user together with their stored password hash, for log-in only.
type Credentials struct {
	User
	PasswordHash string
}

// UserStore is what verifying identities needs from storage: reading accounts, and
// replacing a hash in an older algorithm after a successful log-in. Writes that start
// a session (a new account, a new password) belong to the login package's transaction.
type UserStore interface {
	// UserCredentials finds a user whose username or email equals credential, ignoring
	// case; ErrNotFound when none does.
	UserCredentials(ctx context.Context, credential string) (Credentials, error)
	// UserCredentialsByID finds a user by id with their password hash.
	UserCredentialsByID(ctx context.Context, id int64) (Credentials, error)
	// SetPasswordHash replaces a user's stored hash.
	SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error
}

// PasswordHasher makes and checks password hashes.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash, and whether the hash should be
	// replaced by a fresh one in the current algorithm.
	Verify(hash, password string) (ok, rehash bool, err error)
}
