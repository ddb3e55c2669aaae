package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"authme/internal/auth"
)

const insertUser = `INSERT INTO "Users" ("username", "email", "hashedPassword", "usernameKey") VALUES ($1, $2, $3, $4) RETURNING "id"`

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
	var verified, disabled sql.NullInt64
	err := db.sql.QueryRowContext(ctx,
		`SELECT "id", "username", "email", "hashedPassword", "usernameKey", "emailVerifiedAt", "disabledAt" FROM "Users"
		 WHERE "usernameKey" = $2 OR ("usernameKey" IS NULL AND lower("username") = lower($1)) OR lower("email") = lower($1)
		 ORDER BY CASE WHEN lower("username") = lower($1) OR lower("email") = lower($1) THEN 0 ELSE 1 END
		 LIMIT 1`, credential, auth.UsernameMatchKey(credential)).
		Scan(&c.ID, &c.Username, &c.Email, &hash, &key, &verified, &disabled)
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
	c.EmailVerifiedAt, c.DisabledAt = unixTime(verified), unixTime(disabled)
	return c, nil
}

// SetPasswordHash replaces a user's password hash.
func (db *DB) SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	return setPasswordHash(ctx, db, db.sql, userID, passwordHash)
}

func setPasswordHash(ctx context.Context, db *DB, x execer, userID int64, passwordHash string) error {
	res, err := x.ExecContext(ctx,
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
	var verified, disabled sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT "id", "username", "email", "hashedPassword", "emailVerifiedAt", "disabledAt" FROM "Users" WHERE "id" = $1`, id).
		Scan(&c.ID, &c.Username, &c.Email, &hash, &verified, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Credentials{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Credentials{}, db.wrap(err, "find user %d", id)
	}
	c.PasswordHash = string(hash)
	c.EmailVerifiedAt, c.DisabledAt = unixTime(verified), unixTime(disabled)
	return c, nil
}
