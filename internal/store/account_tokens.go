package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"authme/internal/auth"
	"authme/internal/tokens"
)

// unixTime reads a nullable Unix-seconds column: NULL is the zero time.
func unixTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0)
}

const tokenColumns = `"hash", "userId", "purpose", "email", "stamp", "createdAt", "expiresAt"`

func scanToken(sc interface{ Scan(...any) error }) (tokens.Record, error) {
	var r tokens.Record
	var created, expires int64
	if err := sc.Scan(&r.Hash, &r.UserID, &r.Purpose, &r.Email, &r.Stamp, &created, &expires); err != nil {
		return tokens.Record{}, err
	}
	r.CreatedAt, r.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
	return r, nil
}

// PeekToken reads the token stored under hash for purpose without using it up: a reset
// checks the new password against the account before it spends the token.
func (db *DB) PeekToken(ctx context.Context, hash, purpose string) (tokens.Record, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	r, err := scanToken(db.sql.QueryRowContext(ctx,
		`SELECT `+tokenColumns+` FROM "AccountTokens" WHERE "hash" = $1 AND "purpose" = $2`, hash, purpose))
	if errors.Is(err, sql.ErrNoRows) {
		return tokens.Record{}, auth.ErrNotFound
	}
	if err != nil {
		return tokens.Record{}, db.wrap(err, "read %s token", purpose)
	}
	return r, nil
}

// UserByEmail finds the account whose email is email, ignoring case (as log-in does).
func (db *DB) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	if strings.IndexByte(email, 0) >= 0 {
		return auth.User{}, auth.ErrNotFound
	}
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var u auth.User
	var verified sql.NullInt64
	err := db.sql.QueryRowContext(ctx,
		`SELECT "id", "username", "email", "emailVerifiedAt" FROM "Users" WHERE lower("email") = lower($1) LIMIT 1`, email).
		Scan(&u.ID, &u.Username, &u.Email, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.User{}, db.wrap(err, "find user by email")
	}
	u.EmailVerifiedAt = unixTime(verified)
	return u, nil
}

// PurgeExpiredTokens deletes tokens that can no longer be redeemed.
func (db *DB) PurgeExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	n, err := rowsAffected(db.sql.ExecContext(ctx, `DELETE FROM "AccountTokens" WHERE "expiresAt" <= $1`, now.Unix()))
	if err != nil {
		return 0, db.wrap(err, "purge expired tokens")
	}
	return n, nil
}

// Account reads the user (with password hash) inside the transaction, so that what a
// token is checked against is what the transaction changes.
func (t *Tx) Account(ctx context.Context, userID int64) (auth.Credentials, error) {
	var c auth.Credentials
	var hash []byte
	var verified, disabled sql.NullInt64
	err := t.tx.QueryRowContext(ctx,
		`SELECT "id", "username", "email", "hashedPassword", "emailVerifiedAt", "disabledAt" FROM "Users" WHERE "id" = $1`+t.db.d.forUpdate, userID).
		Scan(&c.ID, &c.Username, &c.Email, &hash, &verified, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Credentials{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Credentials{}, t.db.wrap(err, "read user %d", userID)
	}
	c.PasswordHash, c.EmailVerifiedAt, c.DisabledAt = string(hash), unixTime(verified), unixTime(disabled)
	return c, nil
}

// InsertToken records a new token.
func (t *Tx) InsertToken(ctx context.Context, r tokens.Record) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO "AccountTokens" (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.Hash, r.UserID, r.Purpose, r.Email, r.Stamp, r.CreatedAt.Unix(), r.ExpiresAt.Unix())
	if err != nil {
		return t.db.wrap(err, "record %s token for user %d", r.Purpose, r.UserID)
	}
	return nil
}

// DeleteTokens voids the user's tokens of the given purposes.
func (t *Tx) DeleteTokens(ctx context.Context, userID int64, purposes ...string) error {
	for _, p := range purposes {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM "AccountTokens" WHERE "userId" = $1 AND "purpose" = $2`, userID, p); err != nil {
			return t.db.wrap(err, "void %s tokens of user %d", p, userID)
		}
	}
	return nil
}

// RedeemToken deletes and returns the token stored under hash for purpose: of two
// instances redeeming one token at once, exactly one gets it. An expired token is
// deleted too, and is auth.ErrNotFound like a missing one.
func (t *Tx) RedeemToken(ctx context.Context, hash, purpose string, now time.Time) (tokens.Record, error) {
	r, err := scanToken(t.tx.QueryRowContext(ctx,
		`DELETE FROM "AccountTokens" WHERE "hash" = $1 AND "purpose" = $2 RETURNING `+tokenColumns, hash, purpose))
	if errors.Is(err, sql.ErrNoRows) {
		return tokens.Record{}, auth.ErrNotFound
	}
	if err != nil {
		return tokens.Record{}, t.db.wrap(err, "redeem %s token", purpose)
	}
	if !r.Usable(now) {
		return tokens.Record{}, auth.ErrNotFound
	}
	return r, nil
}

// SetEmailVerified records that the user's address was proven theirs at at.
func (t *Tx) SetEmailVerified(ctx context.Context, userID int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE "Users" SET "emailVerifiedAt" = $1 WHERE "id" = $2`, at.Unix(), userID)
	if err != nil {
		return t.db.wrap(err, "mark email of user %d verified", userID)
	}
	return nil
}

// SetEmail moves the user to a new address, proven theirs at verifiedAt. An address
// another account holds is an auth.Conflict on "email".
func (t *Tx) SetEmail(ctx context.Context, u auth.User, email string, verifiedAt time.Time) error {
	_, err := t.tx.ExecContext(ctx,
		`UPDATE "Users" SET "email" = $1, "emailVerifiedAt" = $2, "updatedAt" = CURRENT_TIMESTAMP WHERE "id" = $3`,
		email, verifiedAt.Unix(), u.ID)
	if _, dup := t.db.d.uniqueViolation(err); dup {
		// Only the address can be taken here: the account keeps its own username, which
		// InTx's conflict lookup would otherwise find and name.
		return &duplicateUser{email: email, what: "email"}
	}
	if err != nil {
		return t.db.wrap(err, "change email of user %d", u.ID)
	}
	return nil
}

// EndOtherSessions ends every session of the user but keep ("" ends them all).
func (t *Tx) EndOtherSessions(ctx context.Context, userID int64, keep string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "userId" = $1 AND "id" <> $2`, userID, keep); err != nil {
		return t.db.wrap(err, "end other sessions of user %d", userID)
	}
	return nil
}
