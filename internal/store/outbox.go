package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"authme/internal/outbox"
)

// Enqueue queues a mail outside any transaction. Prefer Tx.Enqueue, which commits the
// mail with what it reports.
func (db *DB) Enqueue(ctx context.Context, j outbox.Job) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	// Prepared once: a flood of reset requests is a flood of these.
	st, err := db.prepared(ctx, insertOutbox)
	if err != nil {
		return db.wrap(err, "enqueue %q mail", j.Kind)
	}
	return enqueue(ctx, db, st.ExecContext, j)
}

// Enqueue queues a mail in the transaction, so it is sent if and only if the transaction
// commits.
func (t *Tx) Enqueue(ctx context.Context, j outbox.Job) error {
	return enqueue(ctx, t.db, func(ctx context.Context, args ...any) (sql.Result, error) {
		return t.tx.ExecContext(ctx, insertOutbox, args...)
	}, j)
}

const insertOutbox = `INSERT INTO "Outbox" ("kind", "userId", "email", "data", "createdAt", "notBefore") VALUES ($1, $2, $3, $4, $5, $5)`

// enqueue inserts j, due at j.CreatedAt (which the caller sets from its clock).
func enqueue(ctx context.Context, db *DB, exec func(ctx context.Context, args ...any) (sql.Result, error), j outbox.Job) error {
	if j.Kind == "" || len(j.Kind) > 40 || utf8.RuneCountInString(j.Email) > 256 || j.CreatedAt.IsZero() {
		return fmt.Errorf("enqueue %q mail: needs a kind of at most 40 bytes, an email of at most 256 characters and a creation time", j.Kind)
	}
	data := []byte("{}")
	if len(j.Data) > 0 {
		var err error
		if data, err = json.Marshal(j.Data); err != nil {
			return fmt.Errorf("enqueue %q mail: %w", j.Kind, err)
		}
	}
	var user any // NULL for no account
	if j.UserID != 0 {
		user = j.UserID
	}
	if _, err := exec(ctx, j.Kind, user, j.Email, string(data), j.CreatedAt.UnixMilli()); err != nil {
		return db.wrap(err, "enqueue %q mail", j.Kind)
	}
	return nil
}

// Outbox is the outbox table as an outbox.Store, for the mail sender.
type Outbox struct{ db *DB }

// Outbox returns the outbox table as an outbox.Store.
func (db *DB) Outbox() *Outbox { return &Outbox{db: db} }

var _ outbox.Store = (*Outbox)(nil)

// outboxPending is the condition of rows not yet sent, failed or dropped, as the partial
// index "Outbox_pending" states it.
const outboxPending = `"sentAt" IS NULL AND "failedAt" IS NULL AND "droppedAt" IS NULL`

// claimOutboxSQL takes up to $3 due rows at time $1 and leases them until $2. On
// PostgreSQL the inner SELECT locks the rows it picks and skips those another claim has
// locked, so concurrent claims never take one row twice and never wait on each other; a
// row claimed and committed meanwhile is re-checked against the WHERE clause and left
// out, its lease being in the future. SQLite runs one write at a time, so it needs no
// lock clause.
func claimOutboxSQL(lock string) string {
	return `UPDATE "Outbox" SET "lockedUntil" = $2, "attempts" = "attempts" + 1
		WHERE "id" IN (SELECT "id" FROM "Outbox" WHERE ` + outboxPending + ` AND "notBefore" <= $1 AND "lockedUntil" <= $1
			ORDER BY "notBefore", "id" LIMIT $3` + lock + `)
		RETURNING "id", "kind", "userId", "email", "data", "createdAt", "attempts", "notBefore"`
}

// Claim leases up to n due rows to the caller until now+lease and counts an attempt on
// each; rows whose lease ran out (their sender died) are due again. The jobs come oldest
// notBefore first, then in the order they were queued.
func (o *Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]outbox.Job, error) {
	ctx, cancel := o.db.deadline(ctx)
	defer cancel()
	lock := ""
	if o.db.d.name == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := o.db.sql.QueryContext(ctx, claimOutboxSQL(lock), now.UnixMilli(), now.Add(lease).UnixMilli(), n)
	if err != nil {
		return nil, o.db.wrap(err, "claim mail")
	}
	defer rows.Close()
	type claimed struct {
		job       outbox.Job
		notBefore int64
	}
	var got []claimed
	var bad []outbox.Job
	for rows.Next() {
		var c claimed
		var user *int64
		var data string
		var created int64
		if err := rows.Scan(&c.job.ID, &c.job.Kind, &user, &c.job.Email, &data, &created, &c.job.Attempts, &c.notBefore); err != nil {
			return nil, o.db.wrap(err, "claim mail")
		}
		if user != nil {
			c.job.UserID = *user
		}
		c.job.CreatedAt = time.UnixMilli(created)
		if err := json.Unmarshal([]byte(data), &c.job.Data); err != nil {
			bad = append(bad, c.job)
			continue
		}
		got = append(got, c)
	}
	if err := rows.Err(); err != nil {
		return nil, o.db.wrap(err, "claim mail")
	}
	rows.Close()
	for _, j := range bad {
		// Written by something other than Enqueue: fail it here rather than meet it again
		// and again.
		if err := o.Fail(ctx, j, now, "data is not a JSON object of strings"); err != nil {
			return nil, err
		}
	}
	// RETURNING keeps no order.
	slices.SortFunc(got, func(a, b claimed) int {
		if a.notBefore != b.notBefore {
			return cmp.Compare(a.notBefore, b.notBefore)
		}
		return cmp.Compare(a.job.ID, b.job.ID)
	})
	jobs := make([]outbox.Job, len(got))
	for i, c := range got {
		jobs[i] = c.job
	}
	return jobs, nil
}

// settle updates a claimed row, when j's claim is still its current one (no other sender
// claimed it since: each claim counts an attempt), releasing the lease.
func (o *Outbox) settle(ctx context.Context, j outbox.Job, what, set string, args ...any) error {
	ctx, cancel := o.db.deadline(ctx)
	defer cancel()
	q := `UPDATE "Outbox" SET "lockedUntil" = 0, ` + set + ` WHERE "id" = $1 AND "attempts" = $2 AND ` + outboxPending
	res, err := o.db.sql.ExecContext(ctx, q, append([]any{j.ID, j.Attempts}, args...)...)
	if err != nil {
		return o.db.wrap(err, "%s mail %d", what, j.ID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return o.db.wrap(err, "%s mail %d", what, j.ID)
	} else if n == 0 {
		return fmt.Errorf("%s mail %d: %w", what, j.ID, outbox.ErrClaimLost)
	}
	return nil
}

// MarkSent records j as sent and empties its data, so nothing personal stays behind.
func (o *Outbox) MarkSent(ctx context.Context, j outbox.Job, at time.Time) error {
	return o.settle(ctx, j, "mark sent", `"sentAt" = $3, "data" = '{}', "lastError" = ''`, at.UnixMilli())
}

// Retry makes j due again at notBefore, noting why this attempt failed.
func (o *Outbox) Retry(ctx context.Context, j outbox.Job, notBefore time.Time, lastError string) error {
	return o.settle(ctx, j, "retry", `"notBefore" = $3, "lastError" = $4`, notBefore.UnixMilli(), clip(lastError))
}

// Fail records that j will not be sent, and why.
func (o *Outbox) Fail(ctx context.Context, j outbox.Job, at time.Time, lastError string) error {
	return o.settle(ctx, j, "fail", `"failedAt" = $3, "lastError" = $4`, at.UnixMilli(), clip(lastError))
}

// Drop records that j needed no mail, and empties its data.
func (o *Outbox) Drop(ctx context.Context, j outbox.Job, at time.Time) error {
	return o.settle(ctx, j, "drop", `"droppedAt" = $3, "data" = '{}', "lastError" = ''`, at.UnixMilli())
}

// Purge deletes the rows sent, failed or dropped before before.
func (o *Outbox) Purge(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := o.db.deadline(ctx)
	defer cancel()
	res, err := o.db.sql.ExecContext(ctx, `DELETE FROM "Outbox" WHERE "sentAt" < $1 OR "failedAt" < $1 OR "droppedAt" < $1`, before.UnixMilli())
	if err != nil {
		return 0, o.db.wrap(err, "purge done mail")
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// CountPending counts the mail not yet sent, failed or dropped (being sent included),
// for metrics.
func (o *Outbox) CountPending(ctx context.Context) (int64, error) {
	ctx, cancel := o.db.deadline(ctx)
	defer cancel()
	var n int64
	if err := o.db.sql.QueryRowContext(ctx, `SELECT count(*) FROM "Outbox" WHERE `+outboxPending).Scan(&n); err != nil {
		return 0, o.db.wrap(err, "count pending mail")
	}
	return n, nil
}

// clip keeps error text within its column: 500 characters.
func clip(s string) string {
	r := []rune(s)
	if len(r) > 500 {
		return string(r[:500])
	}
	return s
}
