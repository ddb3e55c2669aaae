package store

import (
	"context"
	"database/sql"
	"errors"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/session"
)

// Tx is one transaction of a way in (login.Tx): a new account, a new password, the
// sessions it ends and the one it starts commit together.
type Tx struct {
	db     *DB
	tx     *sql.Tx
	events []events.Event // recorded, logged once committed
}

// InTx runs fn in one transaction and commits it when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(login.Tx) error) error {
	return db.withTx(ctx, func(t *Tx) error { return fn(t) })
}

// withTx runs fn in one transaction, commits it when fn returns nil, then logs the
// security events it recorded.
func (db *DB) withTx(ctx context.Context, fn func(*Tx) error) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err, "begin")
	}
	defer sqlTx.Rollback() //nolint:errcheck // after Commit this is a no-op
	tx := &Tx{db: db, tx: sqlTx}
	if err := fn(tx); err != nil {
		var dup *duplicateUser
		if errors.As(err, &dup) {
			// The transaction is aborted (on PostgreSQL it can read nothing more):
			// name the taken fields from outside it.
			sqlTx.Rollback() //nolint:errcheck // rolled back either way
			return db.conflict(ctx, dup.username, dup.email, conflictField(dup.what))
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return db.wrap(err, "commit")
	}
	for _, e := range tx.events {
		db.committed(ctx, e)
	}
	return nil
}

// duplicateUser is a refused insert, answered by InTx once the transaction is over.
type duplicateUser struct{ username, email, what string }

func (e *duplicateUser) Error() string { return "duplicate user: " + e.what }

// CreateUser inserts an account. The unique indexes decide duplicates, so two
// concurrent sign-ups of one name cannot both succeed; the loser gets an auth.Conflict
// naming every field that is taken (see InTx). A username is taken when another one has
// the same auth.UsernameMatchKey: it differs only in case, width, accents or look-alike
// letters.
func (t *Tx) CreateUser(ctx context.Context, a auth.NewAccount) (auth.User, error) {
	var key any // NULL when nothing comparable is left of the name
	if k := auth.UsernameMatchKey(a.Username); k != "" {
		key = k
		taken, err := t.unkeyedNameTaken(ctx, k)
		if err != nil {
			return auth.User{}, err
		}
		if taken {
			return auth.User{}, &duplicateUser{username: a.Username, email: a.Email, what: "username"}
		}
	}
	u := auth.User{Username: a.Username, Email: a.Email}
	err := t.tx.QueryRowContext(ctx, insertUser, a.Username, a.Email, []byte(a.PasswordHash), key).Scan(&u.ID)
	if what, dup := t.db.d.uniqueViolation(err); dup {
		return auth.User{}, &duplicateUser{username: a.Username, email: a.Email, what: what}
	}
	if err != nil {
		return auth.User{}, t.db.wrap(err, "insert user")
	}
	return u, nil
}

// SetPasswordHash replaces the user's stored hash.
func (t *Tx) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	return setPasswordHash(ctx, t.db, t.tx, userID, hash)
}

// EndUserSessions ends every session of the user.
func (t *Tx) EndUserSessions(ctx context.Context, userID int64) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "userId" = $1`, userID); err != nil {
		return t.db.wrap(err, "end sessions of user %d", userID)
	}
	return nil
}

// EndSession ends one session, if it is still there.
func (t *Tx) EndSession(ctx context.Context, id string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "id" = $1`, id); err != nil {
		return t.db.wrap(err, "end session")
	}
	return nil
}

// InsertSession records a new session.
func (t *Tx) InsertSession(ctx context.Context, s session.Session) error {
	if err := insertSession(ctx, t.tx, s); err != nil {
		return t.db.wrap(err, "create session for user %d", s.UserID)
	}
	return nil
}

// unkeyedNameTaken reports whether a row without a key (written by another app that
// shares the table, or a look-alike kept from before the keys) has the username key
// key: the unique index cannot see those rows, so they are compared here, by reading
// only, inside the sign-up's transaction. Filling their keys is left to migrations and
// log-ins (FillUsernameKeys), which may write.
func (t *Tx) unkeyedNameTaken(ctx context.Context, key string) (bool, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT "username" FROM "Users" WHERE "usernameKey" IS NULL`)
	if err != nil {
		return false, t.db.wrap(err, "read users without a username key")
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return false, t.db.wrap(err, "read users without a username key")
		}
		if auth.UsernameMatchKey(name) == key {
			return true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, t.db.wrap(err, "read users without a username key")
	}
	return false, nil
}
