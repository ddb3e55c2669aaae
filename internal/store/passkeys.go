package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"authme/internal/auth"
)

const passkeyColumns = `"id", "userId", "name", "credentialId", "credential", "createdAt", "lastUsedAt"`

func scanPasskey(sc interface{ Scan(...any) error }) (auth.Passkey, error) {
	var p auth.Passkey
	var created int64
	var used sql.NullInt64
	if err := sc.Scan(&p.ID, &p.UserID, &p.Name, &p.CredentialID, &p.Credential, &created, &used); err != nil {
		return auth.Passkey{}, err
	}
	p.CreatedAt = time.UnixMilli(created)
	if used.Valid {
		p.LastUsedAt = time.UnixMilli(used.Int64)
	}
	return p, nil
}

// Passkeys lists the account's passkeys, oldest first.
func (db *DB) Passkeys(ctx context.Context, userID int64) ([]auth.Passkey, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM "Passkeys" WHERE "userId" = $1 ORDER BY "createdAt", "id"`, userID)
	if err != nil {
		return nil, db.wrap(err, "read passkeys of user %d", userID)
	}
	defer rows.Close()
	out := []auth.Passkey{}
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, db.wrap(err, "read passkeys of user %d", userID)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read passkeys of user %d", userID)
	}
	return out, nil
}

// PasskeyByCredentialID finds the passkey of the authenticator's credential id;
// auth.ErrNotFound when none is registered.
func (db *DB) PasskeyByCredentialID(ctx context.Context, credentialID string) (auth.Passkey, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	p, err := scanPasskey(db.sql.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM "Passkeys" WHERE "credentialId" = $1`, credentialID))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Passkey{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Passkey{}, db.wrap(err, "read passkey")
	}
	return p, nil
}

// UsePasskey records a log-in with the passkey: its credential as the ceremony updated
// it (counter, flags) and when. It changes the row only when the credential is still
// the one the ceremony read (from), so of two log-ins racing on one counter, one wins.
func (db *DB) UsePasskey(ctx context.Context, id, from, credential string, at time.Time) (bool, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	n, err := rowsAffected(db.sql.ExecContext(ctx,
		`UPDATE "Passkeys" SET "credential" = $1, "lastUsedAt" = $2 WHERE "id" = $3 AND "credential" = $4`, credential, at.UnixMilli(), id, from))
	if err != nil {
		return false, db.wrap(err, "record use of passkey")
	}
	return n == 1, nil
}

// InsertChallenge records a WebAuthn ceremony begun.
func (db *DB) InsertChallenge(ctx context.Context, c auth.Challenge) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	var user any
	if c.UserID != 0 {
		user = c.UserID
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO "WebAuthnChallenges" ("hash", "purpose", "userId", "session", "createdAt", "expiresAt") VALUES ($1, $2, $3, $4, $5, $6)`,
		c.Hash, c.Purpose, user, c.Session, c.CreatedAt.Unix(), c.ExpiresAt.Unix())
	if err != nil {
		return db.wrap(err, "record webauthn challenge")
	}
	return nil
}

// RedeemChallenge deletes and returns the ceremony of hash and purpose: a challenge is
// spent once, on whichever instance finishes it first. An expired one is deleted too,
// and is auth.ErrNotFound like a missing one.
func (db *DB) RedeemChallenge(ctx context.Context, hash, purpose string, now time.Time) (auth.Challenge, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	var c auth.Challenge
	var user sql.NullInt64
	var created, expires int64
	err := db.sql.QueryRowContext(ctx,
		`DELETE FROM "WebAuthnChallenges" WHERE "hash" = $1 AND "purpose" = $2 RETURNING "hash", "purpose", "userId", "session", "createdAt", "expiresAt"`,
		hash, purpose).Scan(&c.Hash, &c.Purpose, &user, &c.Session, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Challenge{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.Challenge{}, db.wrap(err, "redeem webauthn challenge")
	}
	c.UserID, c.CreatedAt, c.ExpiresAt = user.Int64, time.Unix(created, 0), time.Unix(expires, 0)
	if !now.Before(c.ExpiresAt) {
		return auth.Challenge{}, auth.ErrNotFound
	}
	return c, nil
}

// PurgeExpiredChallenges deletes ceremonies that can no longer finish.
func (db *DB) PurgeExpiredChallenges(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	n, err := rowsAffected(db.sql.ExecContext(ctx, `DELETE FROM "WebAuthnChallenges" WHERE "expiresAt" <= $1`, now.Unix()))
	if err != nil {
		return 0, db.wrap(err, "purge webauthn challenges")
	}
	return n, nil
}

// InsertPasskey records a passkey just registered; one already registered (to any
// account) is auth.ErrPasskeyExists.
func (t *Tx) InsertPasskey(ctx context.Context, p auth.Passkey) error {
	n, err := rowsAffected(t.tx.ExecContext(ctx,
		`INSERT INTO "Passkeys" (`+passkeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT ("credentialId") DO NOTHING`,
		p.ID, p.UserID, p.Name, p.CredentialID, p.Credential, p.CreatedAt.UnixMilli()))
	if err != nil {
		return t.db.wrap(err, "record passkey of user %d", p.UserID)
	}
	if n == 0 {
		return auth.ErrPasskeyExists
	}
	return nil
}

// DeletePasskey removes the account's passkey id and returns how many it has left;
// auth.ErrPasskeyNotFound when it has no such passkey.
func (t *Tx) DeletePasskey(ctx context.Context, userID int64, id string) (int, error) {
	n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "Passkeys" WHERE "userId" = $1 AND "id" = $2`, userID, id))
	if err != nil {
		return 0, t.db.wrap(err, "remove passkey of user %d", userID)
	}
	if n == 0 {
		return 0, auth.ErrPasskeyNotFound
	}
	var left int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "Passkeys" WHERE "userId" = $1`, userID).Scan(&left); err != nil {
		return 0, t.db.wrap(err, "count passkeys of user %d", userID)
	}
	return left, nil
}

// RemovePasskeyByOperator removes the account's passkey id at the operator's word (its
// device was lost or stolen) and ends every session of the account, which that passkey
// may have logged in, with the "passkey-removed" event; auth.ErrPasskeyNotFound when the
// account has no such passkey.
func (db *DB) RemovePasskeyByOperator(ctx context.Context, userID int64, id string, at time.Time) (ended int64, err error) {
	err = db.operatorTx(ctx, "remove passkey", func(ctx context.Context, t *Tx) error {
		var name string
		err := t.tx.QueryRowContext(ctx, `DELETE FROM "Passkeys" WHERE "userId" = $1 AND "id" = $2 RETURNING "name"`, userID, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return auth.ErrPasskeyNotFound
		}
		if err != nil {
			return db.wrap(err, "remove passkey of user %d", userID)
		}
		if ended, err = t.endAllSessions(ctx, userID); err != nil {
			return err
		}
		return t.RecordEvent(ctx, operatorEvent(userID, "passkey-removed", at, map[string]string{"passkey": id, "name": name}))
	})
	return ended, err
}
