package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"authme/internal/auth"
)

// CreateSession records a new session.
func (db *DB) CreateSession(ctx context.Context, s auth.Session) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO "Sessions" ("id", "userId", "createdAt", "expiresAt", "lastSeenAt", "userAgent") VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.UserID, s.CreatedAt.Unix(), s.ExpiresAt.Unix(), s.LastSeenAt.Unix(), s.UserAgent)
	if err != nil {
		return fmt.Errorf("create session for user %d: %w", s.UserID, err)
	}
	return nil
}

// SessionUser loads the user of a live session: one indexed lookup, joined with the user.
func (db *DB) SessionUser(ctx context.Context, id string, now time.Time) (auth.User, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var u auth.User
	err := db.sql.QueryRowContext(ctx,
		`SELECT u."id", u."username", u."email" FROM "Sessions" s JOIN "Users" u ON u."id" = s."userId"
		 WHERE s."id" = $1 AND s."expiresAt" > $2`, id, now.Unix()).Scan(&u.ID, &u.Username, &u.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("load session: %w", err)
	}
	return u, nil
}

// DeleteSession ends a session; deleting one that is gone is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "id" = $1`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PurgeExpiredSessions deletes sessions that expired at or before now.
func (db *DB) PurgeExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	res, err := db.sql.ExecContext(ctx, `DELETE FROM "Sessions" WHERE "expiresAt" <= $1`, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("purge expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
