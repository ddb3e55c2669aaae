// Package auth is authme's domain: users, their validation, sign-up and log-in, and the
// typed errors every other layer speaks. It knows nothing of HTTP or SQL.
package auth

import "context"

// User is the safe view of an account: what leaves the store for the API (the seed's
// toSafeObject). The password hash is never part of it.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// Credentials is a user together with their stored password hash, for log-in only.
type Credentials struct {
	User
	PasswordHash string
}

// UserStore is what the domain needs from storage.
type UserStore interface {
	// CreateUser inserts a user; a taken username or email is a Conflict error, decided
	// by the database's unique indexes.
	CreateUser(ctx context.Context, username, email, passwordHash string) (User, error)
	// CreateUserWithSession is CreateUser that also records the session newSession
	// makes for the new user, in the same transaction.
	CreateUserWithSession(ctx context.Context, username, email, passwordHash string, newSession func(User) (Session, error)) (User, error)
	// UserCredentials finds a user whose username or email equals credential, ignoring
	// case; ErrNotFound when none does.
	UserCredentials(ctx context.Context, credential string) (Credentials, error)
	// UserCredentialsByID finds a user by id with their password hash.
	UserCredentialsByID(ctx context.Context, id int64) (Credentials, error)
	// SetPasswordHash replaces a user's stored hash.
	SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error
	// ReplacePassword stores a new hash and replaces all the user's sessions by one, in
	// one transaction, so a failure leaves the old password and sessions as they were.
	ReplacePassword(ctx context.Context, userID int64, passwordHash string, replacement Session) error
}

// PasswordHasher makes and checks password hashes.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash, and whether the hash should be
	// replaced by a fresh one in the current algorithm.
	Verify(hash, password string) (ok, rehash bool, err error)
}
