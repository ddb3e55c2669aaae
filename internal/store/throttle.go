package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// LoginThrottleState returns the key's failures in a row and when it may try again.
func (db *DB) LoginThrottleState(ctx context.Context, key string) (int, time.Time, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var failures int
	var until int64
	err := db.sql.QueryRowContext(ctx, `SELECT "failures", "blockedUntil" FROM "LoginThrottles" WHERE "key" = $1`, key).Scan(&failures, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, db.wrap(err, "read login throttle")
	}
	if until == 0 {
		return failures, time.Time{}, nil
	}
	return failures, time.Unix(until, 0), nil
}

// RecordLoginFailure counts a failure atomically (concurrent failures on several
// instances all count) and blocks the key for delay(new count).
func (db *DB) RecordLoginFailure(ctx context.Context, key string, now time.Time, delay func(int) time.Duration) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var failures int
	err := db.sql.QueryRowContext(ctx,
		`INSERT INTO "LoginThrottles" ("key", "failures", "blockedUntil", "updatedAt") VALUES ($1, 1, 0, $2)
		 ON CONFLICT ("key") DO UPDATE SET "failures" = "LoginThrottles"."failures" + 1, "updatedAt" = $2
		 RETURNING "failures"`, key, now.Unix()).Scan(&failures)
	if err != nil {
		return db.wrap(err, "record login failure")
	}
	d := delay(failures)
	if d <= 0 {
		return nil
	}
	// Round up, so a wait never ends early because times are whole seconds.
	until := now.Add(d + time.Second - 1).Unix()
	if _, err := db.sql.ExecContext(ctx, `UPDATE "LoginThrottles" SET "blockedUntil" = $1 WHERE "key" = $2 AND "blockedUntil" < $1`, until, key); err != nil {
		return db.wrap(err, "block login")
	}
	return nil
}

// ResetLoginFailures forgets the key's failures.
func (db *DB) ResetLoginFailures(ctx context.Context, key string) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM "LoginThrottles" WHERE "key" = $1`, key); err != nil {
		return db.wrap(err, "reset login failures")
	}
	return nil
}
