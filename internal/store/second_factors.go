package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"authme/internal/auth"
)

// The second factors of accounts: authenticator-app secrets (sealed by the mfa package;
// the store never sees one in the clear), recovery-code hashes, and log-ins waiting for
// their second factor.

const totpColumns = `"userId", "secret", "keyId", "createdAt", "confirmedAt", "lastStep"`

func scanTOTP(sc interface{ Scan(...any) error }) (auth.TOTPFactor, error) {
	var f auth.TOTPFactor
	var created int64
	var confirmed sql.NullInt64
	if err := sc.Scan(&f.UserID, &f.Sealed, &f.KeyID, &created, &confirmed, &f.LastStep); err != nil {
		return auth.TOTPFactor{}, err
	}
	f.CreatedAt, f.ConfirmedAt = time.Unix(created, 0), unixTime(confirmed)
	return f, nil
}

// TOTPFactor reads the account's authenticator-app secret, confirmed or waiting;
// auth.ErrNotFound when it has none.
func (db *DB) TOTPFactor(ctx context.Context, userID int64) (auth.TOTPFactor, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	f, err := scanTOTP(db.sql.QueryRowContext(ctx, `SELECT `+totpColumns+` FROM "TotpFactors" WHERE "userId" = $1`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.TOTPFactor{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.TOTPFactor{}, db.wrap(err, "read totp factor of user %d", userID)
	}
	return f, nil
}

// CountRecoveryCodes is how many unused recovery codes the account has.
func (db *DB) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM "RecoveryCodes" WHERE "userId" = $1`, userID).Scan(&n); err != nil {
		return 0, db.wrap(err, "count recovery codes of user %d", userID)
	}
	return n, nil
}

// HasRecoveryCode reports whether the account has an unused recovery code of that hash.
func (db *DB) HasRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM "RecoveryCodes" WHERE "userId" = $1 AND "hash" = $2`, userID, hash).Scan(&n)
	if err != nil {
		return false, db.wrap(err, "read recovery code of user %d", userID)
	}
	return n > 0, nil
}

const pendingColumns = `"hash", "userId", "method", "createdAt", "expiresAt", "failures"`

func scanPending(sc interface{ Scan(...any) error }) (auth.PendingLogin, error) {
	var p auth.PendingLogin
	var created, expires int64
	if err := sc.Scan(&p.Hash, &p.UserID, &p.Method, &created, &expires, &p.Failures); err != nil {
		return auth.PendingLogin{}, err
	}
	p.CreatedAt, p.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
	return p, nil
}

// PendingLogin reads the log-in waiting under hash; auth.ErrNotFound when there is none.
func (db *DB) PendingLogin(ctx context.Context, hash string) (auth.PendingLogin, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	p, err := scanPending(db.sql.QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM "PendingLogins" WHERE "hash" = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.PendingLogin{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.PendingLogin{}, db.wrap(err, "read pending log-in")
	}
	return p, nil
}

// FailPendingLogin counts a wrong code against the log-in waiting under hash and
// returns its failures so far; at auth.MaxCodeFailures the attempt is deleted. One
// statement counts, so wrong codes sent at once to several instances all count.
func (db *DB) FailPendingLogin(ctx context.Context, hash string) (int, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	var n int
	err := db.sql.QueryRowContext(ctx,
		`UPDATE "PendingLogins" SET "failures" = "failures" + 1 WHERE "hash" = $1 RETURNING "failures"`, hash).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.MaxCodeFailures, nil // gone already: ended, spent or purged
	}
	if err != nil {
		return 0, db.wrap(err, "count wrong code")
	}
	if n >= auth.MaxCodeFailures {
		if _, err := db.sql.ExecContext(ctx, `DELETE FROM "PendingLogins" WHERE "hash" = $1`, hash); err != nil {
			return n, db.wrap(err, "end pending log-in")
		}
	}
	return n, nil
}

// PurgeExpiredPendingLogins deletes log-ins whose time for a second factor has passed.
func (db *DB) PurgeExpiredPendingLogins(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	n, err := rowsAffected(db.sql.ExecContext(ctx, `DELETE FROM "PendingLogins" WHERE "expiresAt" <= $1`, now.Unix()))
	if err != nil {
		return 0, db.wrap(err, "purge pending log-ins")
	}
	return n, nil
}

// TOTPFactors reads every account's authenticator-app secret, for re-sealing under a new key.
func (db *DB) TOTPFactors(ctx context.Context) ([]auth.TOTPFactor, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT `+totpColumns+` FROM "TotpFactors" ORDER BY "userId"`)
	if err != nil {
		return nil, db.wrap(err, "read totp factors")
	}
	defer rows.Close()
	var out []auth.TOTPFactor
	for rows.Next() {
		f, err := scanTOTP(rows)
		if err != nil {
			return nil, db.wrap(err, "read totp factors")
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read totp factors")
	}
	return out, nil
}

// ResealTOTP replaces the sealed secret of the account, if it is still the one read
// (sealed under from): a secret replaced in between is left alone.
func (db *DB) ResealTOTP(ctx context.Context, userID int64, from, sealed, keyID string) (bool, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	n, err := rowsAffected(db.sql.ExecContext(ctx,
		`UPDATE "TotpFactors" SET "secret" = $1, "keyId" = $2 WHERE "userId" = $3 AND "secret" = $4`, sealed, keyID, userID, from))
	if err != nil {
		return false, db.wrap(err, "reseal totp secret of user %d", userID)
	}
	return n == 1, nil
}

// PutTOTP records a new, unconfirmed secret for the account, replacing one that waits
// for its first code. A confirmed secret is never replaced: auth.ErrTOTPOn.
func (t *Tx) PutTOTP(ctx context.Context, f auth.TOTPFactor) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM "TotpFactors" WHERE "userId" = $1 AND "confirmedAt" IS NULL`, f.UserID); err != nil {
		return t.db.wrap(err, "replace totp enrolment of user %d", f.UserID)
	}
	n, err := rowsAffected(t.tx.ExecContext(ctx,
		`INSERT INTO "TotpFactors" ("userId", "secret", "keyId", "createdAt", "lastStep") VALUES ($1, $2, $3, $4, 0)`+
			` ON CONFLICT ("userId") DO NOTHING`, f.UserID, f.Sealed, f.KeyID, f.CreatedAt.Unix()))
	if err != nil {
		return t.db.wrap(err, "record totp enrolment of user %d", f.UserID)
	}
	if n == 0 {
		return auth.ErrTOTPOn
	}
	return nil
}

// ConfirmTOTP puts the account's waiting secret in use, with the step of the code that
// proved it as its last step (that code cannot log in again). auth.ErrNoEnrolment when
// no secret waits (none was begun, or a racing request confirmed it).
func (t *Tx) ConfirmTOTP(ctx context.Context, userID int64, at time.Time, step int64) error {
	n, err := rowsAffected(t.tx.ExecContext(ctx,
		`UPDATE "TotpFactors" SET "confirmedAt" = $1, "lastStep" = $2 WHERE "userId" = $3 AND "confirmedAt" IS NULL`,
		at.Unix(), step, userID))
	if err != nil {
		return t.db.wrap(err, "confirm totp of user %d", userID)
	}
	if n == 0 {
		return auth.ErrNoEnrolment
	}
	return nil
}

// DeleteSecondFactors removes the account's secret, recovery codes and waiting log-ins.
func (t *Tx) DeleteSecondFactors(ctx context.Context, userID int64) error {
	for _, table := range []string{"TotpFactors", "RecoveryCodes", "PendingLogins"} {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM "`+table+`" WHERE "userId" = $1`, userID); err != nil {
			return t.db.wrap(err, "delete %s of user %d", table, userID)
		}
	}
	return nil
}

// ReplaceRecoveryCodes voids the account's recovery codes and records new ones.
func (t *Tx) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM "RecoveryCodes" WHERE "userId" = $1`, userID); err != nil {
		return t.db.wrap(err, "void recovery codes of user %d", userID)
	}
	for _, h := range hashes {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO "RecoveryCodes" ("hash", "userId", "createdAt") VALUES ($1, $2, $3)`,
			h, userID, at.Unix()); err != nil {
			return t.db.wrap(err, "record recovery codes of user %d", userID)
		}
	}
	return nil
}

// SpendTOTPStep accepts a code of step for the account: only when its secret is
// confirmed and step is later than the last one accepted, by one conditional UPDATE, so
// of two requests (on any instances) with one code, one wins. auth.ErrNotFound refuses.
func (t *Tx) SpendTOTPStep(ctx context.Context, userID, step int64) error {
	n, err := rowsAffected(t.tx.ExecContext(ctx,
		`UPDATE "TotpFactors" SET "lastStep" = $1 WHERE "userId" = $2 AND "confirmedAt" IS NOT NULL AND "lastStep" < $1`,
		step, userID))
	if err != nil {
		return t.db.wrap(err, "spend totp code of user %d", userID)
	}
	if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// SpendRecoveryCode uses up the account's recovery code of that hash and returns how
// many it has left; auth.ErrNotFound when it has no such code (or a racing request
// used it).
func (t *Tx) SpendRecoveryCode(ctx context.Context, userID int64, hash string) (int, error) {
	n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "RecoveryCodes" WHERE "userId" = $1 AND "hash" = $2`, userID, hash))
	if err != nil {
		return 0, t.db.wrap(err, "spend recovery code of user %d", userID)
	}
	if n == 0 {
		return 0, auth.ErrNotFound
	}
	var left int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "RecoveryCodes" WHERE "userId" = $1`, userID).Scan(&left); err != nil {
		return 0, t.db.wrap(err, "count recovery codes of user %d", userID)
	}
	return left, nil
}

// InsertPendingLogin records a log-in that waits for its second factor.
func (t *Tx) InsertPendingLogin(ctx context.Context, p auth.PendingLogin) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO "PendingLogins" (`+pendingColumns+`) VALUES ($1, $2, $3, $4, $5, 0)`,
		p.Hash, p.UserID, p.Method, p.CreatedAt.Unix(), p.ExpiresAt.Unix())
	if err != nil {
		return t.db.wrap(err, "record pending log-in of user %d", p.UserID)
	}
	return nil
}

// RedeemPendingLogin deletes and returns the log-in waiting under hash: of two requests
// finishing one attempt, one gets it. An expired or ended one is deleted too, and is
// auth.ErrNotFound like a missing one.
func (t *Tx) RedeemPendingLogin(ctx context.Context, hash string, now time.Time) (auth.PendingLogin, error) {
	p, err := scanPending(t.tx.QueryRowContext(ctx, `DELETE FROM "PendingLogins" WHERE "hash" = $1 RETURNING `+pendingColumns, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.PendingLogin{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.PendingLogin{}, t.db.wrap(err, "redeem pending log-in")
	}
	if !p.Usable(now) {
		return auth.PendingLogin{}, auth.ErrNotFound
	}
	return p, nil
}

// EndPendingLogins ends every log-in of the account that waits for a second factor.
func (t *Tx) EndPendingLogins(ctx context.Context, userID int64) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM "PendingLogins" WHERE "userId" = $1`, userID); err != nil {
		return t.db.wrap(err, "end pending log-ins of user %d", userID)
	}
	return nil
}
