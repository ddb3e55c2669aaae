package testdb

import (
	"context"
	"testing"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/session"
	"authme/internal/store"
)

// CreateUser inserts an account with passwordHash in a transaction of its own, as a
// sign-up's does, for tests that need accounts without hashing passwords.
func CreateUser(ctx context.Context, db *store.DB, username, email, passwordHash string) (auth.User, error) {
	var u auth.User
	err := db.InTx(ctx, func(tx login.Tx) error {
		var err error
		u, err = tx.CreateUser(ctx, auth.NewAccount{Username: username, Email: email, PasswordHash: passwordHash})
		return err
	})
	return u, err
}

// InsertSession records s in a transaction of its own.
func InsertSession(ctx context.Context, db *store.DB, s session.Session) error {
	return db.InTx(ctx, func(tx login.Tx) error { return tx.InsertSession(ctx, s) })
}

// StartSession records a new session of u made by m and returns its token.
func StartSession(t testing.TB, db *store.DB, m *session.Manager, u auth.User, userAgent string) string {
	t.Helper()
	tok, s, err := m.New(u, userAgent)
	if err == nil {
		err = InsertSession(context.Background(), db, s)
	}
	if err != nil {
		t.Fatalf("start a session for user %d: %v", u.ID, err)
	}
	return tok
}
