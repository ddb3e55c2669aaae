package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"authme/internal/auth"
)

// CreateUser inserts a user. The unique indexes decide duplicates, so two concurrent
// sign-ups of one name cannot both succeed; the loser gets an auth.Conflict naming every
// field that is taken. A username is taken when another one has the same
// auth.UsernameMatchKey: it differs only in case, width, accents or look-alike letters.
func (db *DB) CreateUser(ctx context.Context, username, email, passwordHash string) (auth.User, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	key, err := db.keyForNewUser(ctx, username)
	if err != nil {
		return auth.User{}, err
	}
	u := auth.User{Username: username, Email: email}
	err = db.sql.QueryRowContext(ctx, insertUser, username, email, []byte(passwordHash), key).Scan(&u.ID)
	if what, dup := db.d.uniqueViolation(err); dup {
		return auth.User{}, db.conflict(ctx, username, email, conflictField(what))
	}
	if err != nil {
		return auth.User{}, db.wrap(err, "insert user")
	}
	return u, nil
}

const insertUser = `INSERT INTO "Users" ("username", "email", "hashedPassword", "usernameKey") VALUES ($1, $2, $3, $4) RETURNING "id"`

// keyForNewUser returns the key to store with a new username (nil when nothing is left
// to compare), after filling the keys of rows another app added since authme last
// looked, so that the unique index compares the new name with every old one.
func (db *DB) keyForNewUser(ctx context.Context, username string) (any, error) {
	if _, err := db.FillUsernameKeys(ctx); err != nil {
		return nil, err
	}
	if k := auth.UsernameMatchKey(username); k != "" {
		return k, nil
	}
	return nil, nil
}

// CreateUserWithSession is CreateUser that also records the session newSession makes for
// the new user, in the same transaction: when the database fails in between, neither row
// stays, so a sign-up answered with an error leaves no account behind.
func (db *DB) CreateUserWithSession(ctx context.Context, username, email, passwordHash string, newSession func(auth.User) (auth.Session, error)) (auth.User, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	key, err := db.keyForNewUser(ctx, username)
	if err != nil {
		return auth.User{}, err
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return auth.User{}, db.wrap(err, "insert user: begin")
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	u := auth.User{Username: username, Email: email}
	err = tx.QueryRowContext(ctx, insertUser, username, email, []byte(passwordHash), key).Scan(&u.ID)
	if what, dup := db.d.uniqueViolation(err); dup {
		tx.Rollback() //nolint:errcheck // the transaction is aborted; conflict reads outside it
		return auth.User{}, db.conflict(ctx, username, email, conflictField(what))
	}
	if err != nil {
		return auth.User{}, db.wrap(err, "insert user")
	}
	s, err := newSession(u)
	if err != nil {
		return auth.User{}, err
	}
	if err := insertSession(ctx, tx, s); err != nil {
		return auth.User{}, db.wrap(err, "create session for user %d", u.ID)
	}
	if err := tx.Commit(); err != nil {
		return auth.User{}, db.wrap(err, "insert user: commit")
	}
	return u, nil
}

// conflict builds the error for a refused insert, naming each taken field. The index
// named in the violation is the fallback when the other row has gone since.
func (db *DB) conflict(ctx context.Context, username, email, fallback string) error {
	var fields []string
	var nameTaken, emailTaken bool
	rows, err := db.sql.QueryContext(ctx,
		`SELECT "usernameKey" IS NOT NULL AND "usernameKey" = $3 OR lower("username") = lower($1), lower("email") = lower($2) FROM "Users"
		 WHERE "usernameKey" = $3 OR lower("username") = lower($1) OR lower("email") = lower($2)`,
		username, email, auth.UsernameMatchKey(username))
	if err == nil {
		for rows.Next() {
			var n, e bool
			if rows.Scan(&n, &e) == nil {
				nameTaken, emailTaken = nameTaken || n, emailTaken || e
			}
		}
		rows.Close()
	}
	if emailTaken {
		fields = append(fields, "email")
	}
	if nameTaken {
		fields = append(fields, "username")
	}
	if len(fields) == 0 {
		fields = []string{fallback}
	}
	return auth.Conflict(fields...)
}

// UserCredentials finds the user whose username or email equals credential, ignoring
// case, with their password hash. A username is also found by its key, so a look-alike
// spelling finds the one account it imitates; a row whose key is not filled yet (added
// by another app, or colliding with an older one) is found by lower(), as before, and
// gets its key now when it can. An exact match (ignoring case) goes before a look-alike,
// so an old look-alike without a key still reaches its own row.
func (db *DB) UserCredentials(ctx context.Context, credential string) (auth.Credentials, error) {
	// PostgreSQL text holds neither NUL nor invalid UTF-8, and no stored name has them.
	if strings.IndexByte(credential, 0) >= 0 || !utf8.ValidString(credential) {
		return auth.Credentials{}, auth.ErrNotFound
	}
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var c auth.Credentials
	var hash []byte
	var key sql.NullString
	err := db.sql.QueryRowContext(ctx,
		`SELECT "id", "username", "email", "hashedPassword", "usernameKey" FROM "Users"
		 WHERE "usernameKey" = $2 OR ("usernameKey" IS NULL AND lower("username") = lower($1)) OR lower("email") = lower($1)
		 ORDER BY CASE WHEN lower("username") = lower($1) OR lower("email") = lower($1) THEN 0 ELSE 1 END
		 LIMIT 1`, credential, auth.UsernameMatchKey(credential)).
		Scan(&c.ID, &c.Username, &c.Email, &hash, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Credentials{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Credentials{}, db.wrap(err, "find user by credential")
	}
	if !key.Valid {
		// Best effort: a failure (or a look-alike holding the key) leaves the row as it
		// was, and the log-in goes on.
		db.fillUsernameKey(ctx, c.ID, c.Username) //nolint:errcheck // see above
	}
	c.PasswordHash = string(hash)
	return c, nil
}

// SetPasswordHash replaces a user's password hash.
func (db *DB) SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	res, err := db.sql.ExecContext(ctx,
		`UPDATE "Users" SET "hashedPassword" = $1, "updatedAt" = CURRENT_TIMESTAMP WHERE "id" = $2`,
		[]byte(passwordHash), userID)
	if err != nil {
		return db.wrap(err, "set password hash of user %d", userID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// UserCredentialsByID finds a user by id with their password hash.
func (db *DB) UserCredentialsByID(ctx context.Context, id int64) (auth.Credentials, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var c auth.Credentials
	var hash []byte
	err := db.sql.QueryRowContext(ctx, `SELECT "id", "username", "email", "hashedPassword" FROM "Users" WHERE "id" = $1`, id).
		Scan(&c.ID, &c.Username, &c.Email, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Credentials{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Credentials{}, db.wrap(err, "find user %d", id)
	}
	c.PasswordHash = string(hash)
	return c, nil
}

// ReplacePassword stores a new hash, ends every session of the user and records
// replacement, all in one transaction: a failure changes nothing.
func (db *DB) ReplacePassword(ctx context.Context, userID int64, passwordHash string, replacement auth.Session) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err, "change password of user %d: begin", userID)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	res, err := tx.ExecContext(ctx, `UPDATE "Users" SET "hashedPassword" = $1, "updatedAt" = CURRENT_TIMESTAMP WHERE "id" = $2`, []byte(passwordHash), userID)
	if err != nil {
		return db.wrap(err, "change password of user %d", userID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return auth.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "userId" = $1`, userID); err != nil {
		return db.wrap(err, "end sessions of user %d", userID)
	}
	if err := insertSession(ctx, tx, replacement); err != nil {
		return db.wrap(err, "replace session of user %d", userID)
	}
	if err := tx.Commit(); err != nil {
		return db.wrap(err, "change password of user %d: commit", userID)
	}
	return nil
}
