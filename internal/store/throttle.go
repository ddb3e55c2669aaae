package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"authme/internal/auth"
)

// Times in "LoginThrottles" are whole Unix seconds. A key is blocked while
// "blockedUntil" > now; a block is rounded up, so a wait never ends early.

// reserveAttempt checks and counts in one statement, so that concurrent attempts on
// several instances see each other: the row's lock (PostgreSQL) or the write lock
// (SQLite) orders them. The update's WHERE is the check: not blocked, and fewer live
// reservations than the places left ($4 free failures less those made, or one once
// waits have begun). A refused check returns no row.
const reserveAttempt = `
INSERT INTO "LoginThrottles" ("key", "failures", "blockedUntil", "updatedAt", "inflight", "inflightAt")
VALUES ($1, 0, 0, $2, 1, $2)
ON CONFLICT ("key") DO UPDATE SET
  "inflight" = CASE WHEN "LoginThrottles"."inflightAt" <= $3 THEN 1 ELSE "LoginThrottles"."inflight" + 1 END,
  "inflightAt" = $2,
  "updatedAt" = $2
WHERE "LoginThrottles"."blockedUntil" <= $2
  AND (CASE WHEN "LoginThrottles"."inflightAt" <= $3 THEN 0 ELSE "LoginThrottles"."inflight" END)
    < (CASE WHEN "LoginThrottles"."failures" < $4 THEN $4 - "LoginThrottles"."failures" ELSE 1 END)
RETURNING "failures"`

// ReserveLoginAttempt reserves an attempt on key, or says why not.
func (db *DB) ReserveLoginAttempt(ctx context.Context, key string, now time.Time, p auth.ThrottlePolicy) (auth.Reservation, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	sec := now.Unix()
	leaseEnd := sec - int64(p.LeaseOrDefault()/time.Second)
	var failures int
	err := db.sql.QueryRowContext(ctx, reserveAttempt, key, sec, leaseEnd, p.FreeFailures).Scan(&failures)
	if err == nil {
		return auth.Reservation{Granted: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return auth.Reservation{}, db.wrap(err, "reserve login attempt")
	}
	var until int64
	err = db.sql.QueryRowContext(ctx, `SELECT "blockedUntil" FROM "LoginThrottles" WHERE "key" = $1`, key).Scan(&until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return auth.Reservation{}, db.wrap(err, "read login throttle")
	}
	if until > sec {
		return auth.Reservation{BlockedUntil: time.Unix(until, 0)}, nil
	}
	return auth.Reservation{}, nil
}

// finishFailed counts a failure (up to $3) and frees the reservation's place, and, from
// the $4th failure on, blocks the key until $5 + min($6, $7·2^(n-$4)) seconds, n being
// the new count: the policy's doubling wait, computed in the same statement so that no
// attempt can slip in between the count and the block. A block is never shortened.
const finishFailed = `
UPDATE "LoginThrottles" SET
  "failures" = ` + newFailures + `,
  "inflight" = CASE WHEN "inflight" > 0 THEN "inflight" - 1 ELSE 0 END,
  "updatedAt" = $2,
  "blockedUntil" = CASE
    WHEN ` + newFailures + ` < $4 THEN "blockedUntil"
    WHEN $5 + ` + failureDelay + ` > "blockedUntil" THEN $5 + ` + failureDelay + `
    ELSE "blockedUntil" END
WHERE "key" = $1`

const (
	newFailures  = `(CASE WHEN "failures" < $3 THEN "failures" + 1 ELSE "failures" END)`
	shiftedBase  = `(CAST($7 AS BIGINT) * (CAST(1 AS BIGINT) << (` + newFailures + ` - $4)))`
	failureDelay = `(CASE WHEN ` + shiftedBase + ` < $6 THEN ` + shiftedBase + ` ELSE $6 END)`
)

// FinishLoginAttempt gives a reservation back with its outcome.
func (db *DB) FinishLoginAttempt(ctx context.Context, key string, now time.Time, outcome auth.AttemptOutcome, p auth.ThrottlePolicy) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	defer db.writeTurn()()
	sec := now.Unix()
	var err error
	switch outcome {
	case auth.AttemptFailed:
		ceil := sec
		if now.Nanosecond() > 0 {
			ceil++
		}
		var res sql.Result
		res, err = db.sql.ExecContext(ctx, finishFailed, key, sec, p.MaxFailures(), p.FreeFailures, ceil, p.MaxSeconds(), p.BaseSeconds())
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				// The row went (a purge) while the attempt ran: count the failure afresh.
				_, err = db.sql.ExecContext(ctx, `INSERT INTO "LoginThrottles" ("key", "failures", "blockedUntil", "updatedAt") VALUES ($1, 1, 0, $2)
					ON CONFLICT ("key") DO NOTHING`, key, sec)
			}
		}
	case auth.AttemptSucceeded:
		// The row goes when no other attempt is in flight (the table holds only keys with
		// something to remember); else it is cleared and keeps the others' places.
		var res sql.Result
		res, err = db.sql.ExecContext(ctx, `DELETE FROM "LoginThrottles" WHERE "key" = $1 AND "inflight" <= 1`, key)
		if n, _ := rowsAffected(res, err); err == nil && n == 0 {
			_, err = db.sql.ExecContext(ctx, `UPDATE "LoginThrottles" SET "failures" = 0, "blockedUntil" = 0,
				"inflight" = CASE WHEN "inflight" > 0 THEN "inflight" - 1 ELSE 0 END, "updatedAt" = $2 WHERE "key" = $1`, key, sec)
		}
	default:
		_, err = db.sql.ExecContext(ctx, `UPDATE "LoginThrottles" SET
			"inflight" = CASE WHEN "inflight" > 0 THEN "inflight" - 1 ELSE 0 END WHERE "key" = $1`, key)
	}
	if err != nil {
		return db.wrap(err, "finish login attempt")
	}
	return nil
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LoginThrottleState returns the key's failures in a row and until when it is blocked
// (zero when it is not), for tests and operators.
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
