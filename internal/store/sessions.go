package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"strconv"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/session"
)

const sessionColumns = `s."id", s."userId", s."createdAt", s."expiresAt", s."lastSeenAt", s."userAgent"`

// scanSession reads sessionColumns.
func scanSession(sc interface{ Scan(...any) error }, s *session.Session, extra ...any) error {
	var created, expires, seen int64
	if err := sc.Scan(append([]any{&s.ID, &s.UserID, &created, &expires, &seen, &s.UserAgent}, extra...)...); err != nil {
		return err
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = time.Unix(created, 0), time.Unix(expires, 0), time.Unix(seen, 0)
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func insertSession(ctx context.Context, x execer, s session.Session) error {
	_, err := x.ExecContext(ctx,
		`INSERT INTO "Sessions" ("id", "userId", "createdAt", "expiresAt", "lastSeenAt", "userAgent") VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.UserID, s.CreatedAt.Unix(), s.ExpiresAt.Unix(), s.LastSeenAt.Unix(), s.UserAgent)
	return err
}

// sessionUserQuery reads only what a restore needs: it runs on every request with a
// session, and each column read costs the driver an allocation or two.
// A disabled account's sessions are refused by the join itself, so every instance stops
// honouring them with the same query, whatever its caches.
const sessionUserQuery = `SELECT s."userId", s."lastSeenAt", u."username", u."email", u."emailVerifiedAt" FROM "Sessions" s
 JOIN "Users" u ON u."id" = s."userId" AND u."disabledAt" IS NULL
 WHERE s."id" = $1 AND s."expiresAt" > $2 AND s."lastSeenAt" > $3`

// SessionUser loads a live session and its user: one indexed lookup, joined. The
// session comes back with its id, user and last-seen time. (BatchedRestores shares
// these lookups' round trips on a busy PostgreSQL.)
func (db *DB) SessionUser(ctx context.Context, id string, now, idleSince time.Time) (auth.User, session.Session, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	st, err := db.prepared(ctx, sessionUserQuery)
	if err != nil {
		return auth.User{}, session.Session{}, db.wrap(err, "load session")
	}
	var u auth.User
	var seen int64
	var verified sql.NullInt64
	err = st.QueryRowContext(ctx, id, now.Unix(), idleSince.Unix()).Scan(&u.ID, &seen, &u.Username, &u.Email, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, session.Session{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.User{}, session.Session{}, db.wrap(err, "load session")
	}
	u.EmailVerifiedAt = unixTime(verified)
	return u, session.Session{ID: id, UserID: u.ID, LastSeenAt: time.Unix(seen, 0)}, nil
}

// TouchSession sets the session's last-seen time.
func (db *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	if _, err := db.sql.ExecContext(ctx, `UPDATE "Sessions" SET "lastSeenAt" = $1 WHERE "id" = $2`, now.Unix(), id); err != nil {
		return db.wrap(err, "touch session")
	}
	return nil
}

// DeleteSession ends a session; deleting one that is gone is not an error. When it
// was there, e (unless its Kind is empty) is recorded in the same transaction.
func (db *DB) DeleteSession(ctx context.Context, id string, e events.Event) error {
	return db.withTx(ctx, func(t *Tx) error {
		n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "id" = $1`, id))
		if err != nil {
			return db.wrap(err, "delete session")
		}
		return t.recordIf(ctx, n > 0, e)
	})
}

// UserSessions lists a user's live sessions, newest first.
func (db *DB) UserSessions(ctx context.Context, userID int64, now, idleSince time.Time) ([]session.Session, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+sessionColumns+` FROM "Sessions" s WHERE s."userId" = $1 AND s."expiresAt" > $2 AND s."lastSeenAt" > $3
		 ORDER BY s."createdAt" DESC, s."id"`, userID, now.Unix(), idleSince.Unix())
	if err != nil {
		return nil, db.wrap(err, "list sessions of user %d", userID)
	}
	defer rows.Close()
	var out []session.Session
	for rows.Next() {
		var s session.Session
		if err := scanSession(rows, &s); err != nil {
			return nil, db.wrap(err, "list sessions of user %d", userID)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "list sessions of user %d", userID)
	}
	return out, nil
}

// DeleteUserSession ends one session of the user's and records e (unless its Kind is
// empty) in the same transaction; false when they have no such session.
func (db *DB) DeleteUserSession(ctx context.Context, userID int64, id string, e events.Event) (bool, error) {
	var ok bool
	err := db.withTx(ctx, func(t *Tx) error {
		n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "id" = $1 AND "userId" = $2`, id, userID))
		if err != nil {
			return db.wrap(err, "delete session of user %d", userID)
		}
		ok = n > 0
		return t.recordIf(ctx, ok, e)
	})
	return ok, err
}

// DeleteOtherSessions ends every session of the user except keep and, when any ended,
// records e (unless its Kind is empty) with their number as detail "count", in the same
// transaction.
func (db *DB) DeleteOtherSessions(ctx context.Context, userID int64, keep string, e events.Event) (int64, error) {
	var ended int64
	err := db.withTx(ctx, func(t *Tx) error {
		n, err := rowsAffected(t.tx.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "userId" = $1 AND "id" <> $2`, userID, keep))
		if err != nil {
			return db.wrap(err, "delete other sessions of user %d", userID)
		}
		ended = n
		if n > 0 && e.Kind != "" {
			d := make(map[string]string, len(e.Detail)+1)
			maps.Copy(d, e.Detail)
			d[events.DetailCount] = strconv.FormatInt(n, 10)
			e.Detail = d
		}
		return t.recordIf(ctx, n > 0, e)
	})
	return ended, err
}

// PurgeExpiredSessions deletes sessions that expired or went idle, and login throttle
// records untouched for a day.
func (db *DB) PurgeExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	res, err := db.sql.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "expiresAt" <= $1 OR "lastSeenAt" <= $2`, now.Unix(), idleSince.Unix())
	if err != nil {
		return 0, db.wrap(err, "purge expired sessions")
	}
	n, _ := res.RowsAffected()
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM "LoginThrottles" WHERE "updatedAt" <= $1 AND "blockedUntil" <= $2`,
		now.Add(-24*time.Hour).Unix(), now.Unix()); err != nil {
		return n, db.wrap(err, "purge login throttles")
	}
	return n, nil
}

// CountLiveSessions counts sessions that have not expired, for metrics.
func (db *DB) CountLiveSessions(ctx context.Context) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var n int64
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM "Sessions" WHERE "expiresAt" > $1`, time.Now().Unix()).Scan(&n); err != nil {
		return 0, db.wrap(err, "count sessions")
	}
	return n, nil
}
