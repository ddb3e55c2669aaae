package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/session"
)

// Everything authme stores about one account, read for its owner's export (GET
// /api/users/me/export): one query per table, never a hash. AccountThrottles is in
// operator.go, which the operator's `users show` shares.

var _ account.Store = (*DB)(nil)

// outboxOfAccount matches the outbox rows of the user $1: those that name the account,
// and those that name none but go to its address (a reset or a verification is asked
// for by address, and the request path never looks the account up). The export lists
// them and DeleteAccount deletes them: both hold the address, and who asked.
const outboxOfAccount = `("userId" = $1 OR ("userId" IS NULL AND lower("email") = (SELECT lower(u."email") FROM "Users" u WHERE u."id" = $1)))`

// AccountProfile reads the account's row without its password hash; auth.ErrNotFound
// when there is none.
func (db *DB) AccountProfile(ctx context.Context, userID int64) (account.Profile, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var p account.Profile
	var created, updated any
	var verified, disabled sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT "id", "username", "email", "createdAt", "updatedAt", "emailVerifiedAt", "disabledAt"
		FROM "Users" WHERE "id" = $1`, userID).Scan(&p.ID, &p.Username, &p.Email, &created, &updated, &verified, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return account.Profile{}, auth.ErrNotFound
	}
	if err != nil {
		return account.Profile{}, db.wrap(err, "read account %d", userID)
	}
	if p.CreatedAt, err = rowTime(created); err != nil {
		return account.Profile{}, fmt.Errorf("read account %d: createdAt: %w", userID, err)
	}
	if p.UpdatedAt, err = rowTime(updated); err != nil {
		return account.Profile{}, fmt.Errorf("read account %d: updatedAt: %w", userID, err)
	}
	p.EmailVerifiedAt, p.DisabledAt = unixTime(verified), unixTime(disabled)
	return p, nil
}

// rowTimeLayouts are the text forms a "createdAt" or "updatedAt" takes on SQLite, where
// DATETIME is text: CURRENT_TIMESTAMP's, and Sequelize's (the Express app writes rows).
var rowTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
}

// rowTime reads a timestamp column: a time on PostgreSQL (and on SQLite when the driver
// recognises the text), else text in one of rowTimeLayouts, read as UTC.
func rowTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case []byte:
		return rowTime(string(v))
	case string:
		s := strings.TrimSpace(v)
		for _, layout := range rowTimeLayouts {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a time", v)
	case nil:
		return time.Time{}, nil
	}
	return time.Time{}, fmt.Errorf("a %T is not a time", v)
}

// AccountSessions lists every stored session of the account, newest first: the live
// ones and those ended by time that the purge has not deleted yet.
func (db *DB) AccountSessions(ctx context.Context, userID int64) ([]session.Session, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT `+sessionColumns+` FROM "Sessions" s
		WHERE s."userId" = $1 ORDER BY s."createdAt" DESC, s."id"`, userID)
	if err != nil {
		return nil, db.wrap(err, "read sessions of user %d", userID)
	}
	defer rows.Close()
	out := []session.Session{}
	for rows.Next() {
		var s session.Session
		if err := scanSession(rows, &s); err != nil {
			return nil, db.wrap(err, "read sessions of user %d", userID)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read sessions of user %d", userID)
	}
	return out, nil
}

// AccountEvents lists every security event of the account, newest first.
func (db *DB) AccountEvents(ctx context.Context, userID int64) ([]events.Event, error) {
	return db.ListEvents(ctx, userID, 0, math.MaxInt32)
}

// AccountTokens lists the account's mailed tokens (used ones are deleted; expired ones
// stay until the purge): purpose, address and times, never the hash or the stamp.
func (db *DB) AccountTokens(ctx context.Context, userID int64) ([]account.Token, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT "purpose", "email", "createdAt", "expiresAt" FROM "AccountTokens"
		WHERE "userId" = $1 ORDER BY "createdAt" DESC, "purpose"`, userID)
	if err != nil {
		return nil, db.wrap(err, "read tokens of user %d", userID)
	}
	defer rows.Close()
	out := []account.Token{}
	for rows.Next() {
		var tk account.Token
		var created, expires int64
		if err := rows.Scan(&tk.Purpose, &tk.Email, &created, &expires); err != nil {
			return nil, db.wrap(err, "read tokens of user %d", userID)
		}
		tk.CreatedAt, tk.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
		out = append(out, tk)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read tokens of user %d", userID)
	}
	return out, nil
}

// AccountMail lists the account's outbox rows (outboxOfAccount), newest first.
// "lockedUntil" is left out: it is a sender's lease, about no one.
func (db *DB) AccountMail(ctx context.Context, userID int64) ([]account.Mail, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT "id", "kind", "email", "data", "createdAt", "notBefore", "attempts",
		"sentAt", "failedAt", "droppedAt", "lastError" FROM "Outbox" WHERE `+outboxOfAccount+` ORDER BY "id" DESC`, userID)
	if err != nil {
		return nil, db.wrap(err, "read mail of user %d", userID)
	}
	defer rows.Close()
	out := []account.Mail{}
	for rows.Next() {
		var m account.Mail
		var created, notBefore int64
		var sent, failed, dropped sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Kind, &m.Email, &m.Data, &created, &notBefore, &m.Attempts,
			&sent, &failed, &dropped, &m.LastError); err != nil {
			return nil, db.wrap(err, "read mail of user %d", userID)
		}
		m.CreatedAt, m.NotBefore = time.UnixMilli(created), time.UnixMilli(notBefore)
		m.SentAt, m.FailedAt, m.DroppedAt = unixMilli(sent), unixMilli(failed), unixMilli(dropped)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read mail of user %d", userID)
	}
	return out, nil
}

// unixMilli reads a nullable Unix-milliseconds column: NULL is the zero time.
func unixMilli(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// AccountSecondFactor reads what the account's second factor is: when its app was
// enrolled and confirmed, how many recovery codes and waiting log-ins it has. Never the
// sealed secret nor a code's hash.
func (db *DB) AccountSecondFactor(ctx context.Context, userID int64) (account.SecondFactor, error) {
	var sf account.SecondFactor
	f, err := db.TOTPFactor(ctx, userID)
	switch {
	case err == nil:
		sf.EnrolledAt, sf.ConfirmedAt = f.CreatedAt, f.ConfirmedAt
	case !errors.Is(err, auth.ErrNotFound):
		return account.SecondFactor{}, err
	}
	if sf.RecoveryCodesRemaining, err = db.CountRecoveryCodes(ctx, userID); err != nil {
		return account.SecondFactor{}, err
	}
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM "PendingLogins" WHERE "userId" = $1`, userID).Scan(&sf.PendingLogins); err != nil {
		return account.SecondFactor{}, db.wrap(err, "count pending log-ins of user %d", userID)
	}
	return sf, nil
}
