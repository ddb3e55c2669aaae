package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// AddressThrottle is a token bucket per client address, kept in the database so that
// every instance over it draws on the same buckets: behind a load balancer, N instances
// give an address the budget of one, not N. Each attempt is one statement.
type AddressThrottle struct {
	db    *DB
	perMS float64 // tokens refilled per millisecond
	burst float64
	now   func() time.Time
	// scope starts every key of this throttle: buckets of different rates share the
	// table, and each purges only its own.
	scope string
}

// AddressThrottle returns the shared bucket for client addresses: perMinute tokens a
// minute, at most burst at once.
func (db *DB) AddressThrottle(perMinute float64, burst int, now func() time.Time) *AddressThrottle {
	return &AddressThrottle{db: db, perMS: perMinute / 60_000, burst: float64(max(1, burst)), now: now}
}

// Scoped returns a throttle of perMinute and burst whose keys all start with scope
// (and end in the key given to Allow), apart from every other throttle's: its Purge
// deletes only its own buckets, at its own refill time.
func (db *DB) Scoped(scope string, perMinute float64, burst int, now func() time.Time) *AddressThrottle {
	a := db.AddressThrottle(perMinute, burst, now)
	a.scope = scope
	return a
}

// takeTokenSQL is the statement that takes one token from key's bucket, given the
// dialect's two-argument minimum and maximum: it refills the bucket for the time since
// it was last written (capped at the burst), and takes a token only when at least one is
// there. A row comes back only when a token was taken. A clock behind the last writer's
// refills nothing and does not move "updatedAt" back.
//
// $1 key, $2 now (Unix ms), $3 tokens per ms, $4 burst. The casts fix the parameters'
// types for PostgreSQL, which would otherwise guess them from the neighbouring integers.
func takeTokenSQL(least, greatest string) string {
	const t = `"AddressThrottles"`
	refilled := fmt.Sprintf(`%s(CAST($4 AS DOUBLE PRECISION), %s."tokens" + %s(0, $2 - %s."updatedAt") * CAST($3 AS DOUBLE PRECISION))`,
		least, t, greatest, t)
	return `INSERT INTO ` + t + ` ("key", "tokens", "updatedAt") VALUES ($1, CAST($4 AS DOUBLE PRECISION) - 1, $2)
		ON CONFLICT ("key") DO UPDATE SET "tokens" = ` + refilled + ` - 1, "updatedAt" = ` + greatest + `(` + t + `."updatedAt", $2)
		WHERE ` + refilled + ` >= 1
		RETURNING "tokens"`
}

// Allow takes a token from key's bucket; when it is empty it says how long until the
// next token.
func (a *AddressThrottle) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	ctx, cancel := a.db.deadline(ctx)
	defer cancel()
	now := a.now().UnixMilli()
	key = a.scope + key
	st, err := a.db.prepared(ctx, a.db.d.takeAddressToken)
	if err != nil {
		return false, 0, a.db.wrap(err, "prepare address token")
	}
	var left float64
	err = st.QueryRowContext(ctx, key, now, a.perMS, a.burst).Scan(&left)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, a.db.wrap(err, "take address token")
	}
	wait, err := a.wait(ctx, key, now)
	return false, wait, err
}

// wait reads key's bucket after a refusal: the time until it holds a whole token.
func (a *AddressThrottle) wait(ctx context.Context, key string, now int64) (time.Duration, error) {
	st, err := a.db.prepared(ctx, `SELECT "tokens", "updatedAt" FROM "AddressThrottles" WHERE "key" = $1`)
	if err != nil {
		return 0, a.db.wrap(err, "prepare address bucket")
	}
	var tokens float64
	var at int64
	if err := st.QueryRowContext(ctx, key).Scan(&tokens, &at); errors.Is(err, sql.ErrNoRows) {
		return time.Millisecond, nil // purged since: free again
	} else if err != nil {
		return 0, a.db.wrap(err, "read address bucket")
	}
	refilled := min(a.burst, tokens+float64(max(0, now-at))*a.perMS)
	if refilled >= 1 || a.perMS <= 0 {
		return time.Millisecond, nil
	}
	return time.Duration(math.Ceil((1-refilled)/a.perMS)) * time.Millisecond, nil
}

// Purge deletes the buckets that have been idle long enough to be full again: a
// missing row is a full bucket, so nothing is lost.
func (a *AddressThrottle) Purge(ctx context.Context) (int64, error) {
	ctx, cancel := a.db.deadline(ctx)
	defer cancel()
	full := a.now().UnixMilli() - a.refillMS()
	q, args := `DELETE FROM "AddressThrottles" WHERE "updatedAt" <= $1`, []any{full}
	if a.scope != "" {
		// Scopes end in ':' and hold no LIKE wildcards: the prefix is matched as is.
		q, args = q+` AND "key" LIKE $2`, append(args, a.scope+"%")
	} else {
		// The unscoped (per-address log-in) throttle leaves scoped buckets alone.
		q += ` AND "key" LIKE 'a:%'`
	}
	res, err := a.db.sql.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, a.db.wrap(err, "purge address buckets")
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// refillMS is how long an empty bucket takes to fill, in milliseconds.
func (a *AddressThrottle) refillMS() int64 {
	if a.perMS <= 0 {
		return math.MaxInt64 / 2
	}
	return int64(math.Ceil(a.burst / a.perMS))
}

// PurgeLoop purges full buckets every interval until ctx ends.
func (a *AddressThrottle) PurgeLoop(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := a.Purge(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("purging address buckets failed", "err", err)
		case n > 0:
			log.Debug("purged full address buckets", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
