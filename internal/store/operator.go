package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
)

// The operator's reads and writes of accounts (the `authme users` and `authme sessions`
// commands): each change commits in one transaction with the event that records it.

// Account is an account as an operator sees it.
type Account struct {
	auth.User
	// CreatedAt is the row's creation time as the database prints it: the column is a
	// DATETIME on SQLite and a timestamp on PostgreSQL, written by other apps too.
	CreatedAt string
}

const accountColumns = `"id", "username", "email", "emailVerifiedAt", "disabledAt", CAST("createdAt" AS TEXT)`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var verified, disabled sql.NullInt64
	var created sql.NullString
	if err := sc.Scan(&a.ID, &a.Username, &a.Email, &verified, &disabled, &created); err != nil {
		return Account{}, err
	}
	a.EmailVerifiedAt, a.DisabledAt, a.CreatedAt = unixTime(verified), unixTime(disabled), created.String
	return a, nil
}

// FindAccount finds the account whose username or email is ref (ignoring case), or,
// failing that, whose id is ref; auth.ErrNotFound when none is.
func (db *DB) FindAccount(ctx context.Context, ref string) (Account, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		id = 0 // no account has id 0
	}
	// A name that is all digits goes before the id it spells.
	a, err := scanAccount(db.sql.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM "Users"
		WHERE lower("username") = lower($1) OR lower("email") = lower($1) OR "id" = $2
		ORDER BY CASE WHEN "id" = $2 THEN 1 ELSE 0 END LIMIT 1`, ref, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, auth.ErrNotFound
	}
	if err != nil {
		return Account{}, db.wrap(err, "find account %q", ref)
	}
	return a, nil
}

// ListAccounts lists up to limit accounts whose username or email contains query
// (ignoring case; "" lists all), oldest first.
func (db *DB) ListAccounts(ctx context.Context, query string, limit int) ([]Account, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	pattern := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(query)) + "%"
	rows, err := db.sql.QueryContext(ctx, `SELECT `+accountColumns+` FROM "Users"
		WHERE lower("username") LIKE $1 ESCAPE '\' OR lower("email") LIKE $1 ESCAPE '\'
		ORDER BY "id" LIMIT $2`, pattern, limit)
	if err != nil {
		return nil, db.wrap(err, "list accounts")
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, db.wrap(err, "list accounts")
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "list accounts")
	}
	return out, nil
}

// LoginThrottle is one log-in throttle row of an account: its own key or one of its
// known devices'.
type LoginThrottle = account.Throttle

// throttleKeysOf matches the throttle keys of the user $1 (as text): the account's and
// its devices' and its second-factor codes' (auth's accountKey, deviceKey and codeKey).
const throttleKeysOf = `("key" = 'u:' || CAST($1 AS TEXT) OR "key" LIKE 'd:' || CAST($1 AS TEXT) || ':%' OR "key" = '2fa:u:' || CAST($1 AS TEXT))`

// AccountThrottles lists the account's log-in throttle rows.
func (db *DB) AccountThrottles(ctx context.Context, userID int64) ([]LoginThrottle, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT "key", "failures", "blockedUntil", "updatedAt" FROM "LoginThrottles" WHERE `+throttleKeysOf+` ORDER BY "key"`,
		strconv.FormatInt(userID, 10))
	if err != nil {
		return nil, db.wrap(err, "read login throttles of user %d", userID)
	}
	defer rows.Close()
	out := []LoginThrottle{}
	for rows.Next() {
		var t LoginThrottle
		var until, updated int64
		if err := rows.Scan(&t.Key, &t.Failures, &until, &updated); err != nil {
			return nil, db.wrap(err, "read login throttles of user %d", userID)
		}
		if until > 0 {
			t.BlockedUntil = time.Unix(until, 0)
		}
		t.UpdatedAt = time.Unix(updated, 0)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read login throttles of user %d", userID)
	}
	return out, nil
}

// operatorEvent is the event an operator's change records. (At merge with the events
// branch it returns an events.Event; see events_standin.go.)
func operatorEvent(userID int64, kind string, at time.Time, detail map[string]string) events.Event {
	return events.Event{UserID: userID, Kind: kind, At: at, Count: 1, Detail: detail}
}

// operatorTx runs fn in one transaction of the operator's, logging its events once it
// commits.
func (db *DB) operatorTx(ctx context.Context, what string, fn func(ctx context.Context, t *Tx) error) error {
	if err := db.withTx(ctx, func(t *Tx) error { return fn(ctx, t) }); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// endAllSessions deletes every session of the user and says how many there were.
func (t *Tx) endAllSessions(ctx context.Context, userID int64) (int64, error) {
	n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "userId" = $1`, userID))
	if err != nil {
		return 0, t.db.wrap(err, "end sessions of user %d", userID)
	}
	return n, nil
}

// DisableAccount disables the account at at and ends its sessions, with the
// "account-disabled" event, in one transaction; changed is false (and nothing is
// written) when it was disabled already. Restores refuse the account's sessions from
// the commit on, on every instance: they join on "disabledAt".
func (db *DB) DisableAccount(ctx context.Context, userID int64, at time.Time) (changed bool, ended int64, err error) {
	err = db.operatorTx(ctx, "disable account", func(ctx context.Context, t *Tx) error {
		n, err := rowsAffected(t.tx.ExecContext(ctx, `UPDATE "Users" SET "disabledAt" = $1 WHERE "id" = $2 AND "disabledAt" IS NULL`, at.Unix(), userID))
		if err != nil {
			return db.wrap(err, "disable user %d", userID)
		}
		if n == 0 {
			return t.mustExist(ctx, userID)
		}
		changed = true
		if ended, err = t.endAllSessions(ctx, userID); err != nil {
			return err
		}
		return t.RecordEvent(ctx, operatorEvent(userID, "account-disabled", at, map[string]string{"sessions": strconv.FormatInt(ended, 10)}))
	})
	if err != nil {
		return false, 0, err
	}
	return changed, ended, nil
}

// EnableAccount enables a disabled account, with the "account-enabled" event; changed
// is false when it was enabled already.
func (db *DB) EnableAccount(ctx context.Context, userID int64, at time.Time) (changed bool, err error) {
	err = db.operatorTx(ctx, "enable account", func(ctx context.Context, t *Tx) error {
		n, err := rowsAffected(t.tx.ExecContext(ctx, `UPDATE "Users" SET "disabledAt" = NULL WHERE "id" = $1 AND "disabledAt" IS NOT NULL`, userID))
		if err != nil {
			return db.wrap(err, "enable user %d", userID)
		}
		if n == 0 {
			return t.mustExist(ctx, userID)
		}
		changed = true
		return t.RecordEvent(ctx, operatorEvent(userID, "account-enabled", at, nil))
	})
	return changed, err
}

// mustExist is nil when the user exists, else auth.ErrNotFound.
func (t *Tx) mustExist(ctx context.Context, userID int64) error {
	var one int
	err := t.tx.QueryRowContext(ctx, `SELECT 1 FROM "Users" WHERE "id" = $1`, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.ErrNotFound
	}
	if err != nil {
		return t.db.wrap(err, "read user %d", userID)
	}
	return nil
}

// UnlockAccount clears the account's log-in throttle (its own key and its devices'),
// with the "account-unlocked" event when there was something to clear.
func (db *DB) UnlockAccount(ctx context.Context, userID int64, at time.Time) (cleared int64, err error) {
	err = db.operatorTx(ctx, "unlock account", func(ctx context.Context, t *Tx) error {
		if err := t.mustExist(ctx, userID); err != nil {
			return err
		}
		cleared, err = rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "LoginThrottles" WHERE `+throttleKeysOf, strconv.FormatInt(userID, 10)))
		if err != nil {
			return db.wrap(err, "clear login throttles of user %d", userID)
		}
		if cleared == 0 {
			return nil
		}
		return t.RecordEvent(ctx, operatorEvent(userID, "account-unlocked", at, map[string]string{"count": strconv.FormatInt(cleared, 10)}))
	})
	if err != nil {
		return 0, err
	}
	return cleared, nil
}

// SetAccountPassword replaces the account's password hash and ends every one of its
// sessions, with the "password-set" event, in one transaction. Mailed reset links die
// with the old hash, which their stamp binds them to.
func (db *DB) SetAccountPassword(ctx context.Context, userID int64, hash string, at time.Time) (ended int64, err error) {
	err = db.operatorTx(ctx, "set password", func(ctx context.Context, t *Tx) error {
		if err := t.SetPasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		if ended, err = t.endAllSessions(ctx, userID); err != nil {
			return err
		}
		return t.RecordEvent(ctx, operatorEvent(userID, "password-set", at, map[string]string{"sessions": strconv.FormatInt(ended, 10)}))
	})
	if err != nil {
		return 0, err
	}
	return ended, nil
}

// EndAccountSessions ends one session of the account (id) or, with id "", all of them,
// with the "sessions-ended" event when any ended. Ending a session the account does not
// have is auth.ErrNotFound.
func (db *DB) EndAccountSessions(ctx context.Context, userID int64, id string, at time.Time) (ended int64, err error) {
	err = db.operatorTx(ctx, "end sessions", func(ctx context.Context, t *Tx) error {
		which := "all"
		if id == "" {
			ended, err = t.endAllSessions(ctx, userID)
		} else {
			which = "one"
			ended, err = rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "id" = $1 AND "userId" = $2`, id, userID))
			if err == nil && ended == 0 {
				return auth.ErrNotFound
			}
		}
		if err != nil {
			return db.wrap(err, "end sessions of user %d", userID)
		}
		if ended == 0 {
			return nil
		}
		return t.RecordEvent(ctx, operatorEvent(userID, "sessions-ended", at, map[string]string{"which": which, "count": strconv.FormatInt(ended, 10)}))
	})
	if err != nil {
		return 0, err
	}
	return ended, nil
}

// AccountTables are the tables authme keeps rows of an account in, in the order
// DeleteAccount empties them ("Users" last), with the condition that picks the
// account's rows: $1 is its id, as text where ByKey is set (the throttle keys).
var AccountTables = []struct {
	Table, Where string
	ByKey        bool
}{
	{"Sessions", `"userId" = $1`, false},
	{"PendingLogins", `"userId" = $1`, false},
	{"RecoveryCodes", `"userId" = $1`, false},
	{"TotpFactors", `"userId" = $1`, false},
	{"Passkeys", `"userId" = $1`, false},
	{"WebAuthnChallenges", `"userId" = $1`, false},
	{"LoginThrottles", throttleKeysOf, true},
	{"AccountTokens", `"userId" = $1`, false},
	{"Outbox", outboxOfAccount, false},
	{"SecurityEvents", `"userId" = $1`, false},
	{"Users", `"id" = $1`, false},
}

// DeleteAccount deletes the account and every row authme keeps for it, in one
// transaction, which frees its username and email. authme deletes only its own tables:
// when a table it does not own still refers to the account (a product's table with a
// foreign key to "Users"), nothing is deleted and the answer is auth.ErrAccountReferenced.
// A missing account is auth.ErrNotFound.
func (db *DB) DeleteAccount(ctx context.Context, userID int64) error {
	err := db.operatorTx(ctx, "delete account", func(ctx context.Context, t *Tx) error {
		for _, tb := range AccountTables {
			var arg any = userID
			if tb.ByKey {
				arg = strconv.FormatInt(userID, 10)
			}
			n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "`+tb.Table+`" WHERE `+tb.Where, arg))
			if err != nil {
				return db.referenced(err, "delete account %d from %s", userID, tb.Table)
			}
			if tb.Table == "Users" && n == 0 {
				return auth.ErrNotFound
			}
		}
		return nil
	})
	if err != nil && foreignKeyViolation(err) {
		// A deferred foreign key refuses at the commit.
		return auth.ErrAccountReferenced
	}
	return err
}

// referenced turns a foreign key's refusal into auth.ErrAccountReferenced and wraps
// any other error.
func (db *DB) referenced(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if foreignKeyViolation(err) {
		return auth.ErrAccountReferenced
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		return err
	}
	return db.wrap(err, format, args...)
}

// foreignKeyViolation reports whether err is a foreign key's refusal, on either database.
func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqliteErr *msqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
