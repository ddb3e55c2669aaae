package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"authme/internal/events"
)

const insertEvent = `INSERT INTO "SecurityEvents" ("userId", "kind", "at", "address", "userAgent", "sessionId", "count", "detail")
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// upsertAggregated adds to the row of the same user, kind, address and minute; the
// partial unique index "SecurityEvents_aggregated" decides which row that is, so two
// instances adding at once share it.
const upsertAggregated = insertEvent + `
 ON CONFLICT ("userId", "kind", "address", "at") WHERE "kind" IN ('login-failed', 'login-throttled')
 DO UPDATE SET "count" = "SecurityEvents"."count" + excluded."count"`

// eventArgs are insertEvent's arguments for e, bounded to the columns.
func eventArgs(e events.Event) ([]any, events.Event, error) {
	e = e.Bounded()
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return nil, e, fmt.Errorf("event detail: %w", err)
		}
	}
	return []any{e.UserID, e.Kind, e.At.UnixMilli(), e.Address, e.UserAgent, e.SessionID, e.Count, string(detail)}, e, nil
}

// RecordEvent writes an event in the transaction of what it records; it is logged once
// the transaction commits.
func (t *Tx) RecordEvent(ctx context.Context, e events.Event) error {
	args, e, err := eventArgs(e)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, insertEvent, args...); err != nil {
		return t.db.wrap(err, "record %s event of user %d", e.Kind, e.UserID)
	}
	t.events = append(t.events, e)
	return nil
}

// recordIf records e when ok and e has a kind.
func (t *Tx) recordIf(ctx context.Context, ok bool, e events.Event) error {
	if !ok || e.Kind == "" {
		return nil
	}
	return t.RecordEvent(ctx, e)
}

// RecordEvent writes an event that no other write goes with.
func (db *DB) RecordEvent(ctx context.Context, e events.Event) error {
	return db.writeEvent(ctx, insertEvent, e, "record")
}

// RecordAggregated adds e.Count to the aggregated row of e's user, kind and address at
// e.At (the start of its minute), or inserts it: the events Aggregator's Sink. Only
// events.LoginFailed and events.LoginThrottled are aggregated.
func (db *DB) RecordAggregated(ctx context.Context, e events.Event) error {
	if e.Kind != events.LoginFailed && e.Kind != events.LoginThrottled {
		return fmt.Errorf("record aggregated event: %s events are not aggregated", e.Kind)
	}
	return db.writeEvent(ctx, upsertAggregated, e, "record aggregated")
}

func (db *DB) writeEvent(ctx context.Context, q string, e events.Event, what string) error {
	args, e, err := eventArgs(e)
	if err != nil {
		return err
	}
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	if _, err := db.sql.ExecContext(ctx, q, args...); err != nil {
		return db.wrap(err, "%s %s event of user %d", what, e.Kind, e.UserID)
	}
	db.committed(ctx, e)
	return nil
}

// committed logs and counts an event that is now stored.
func (db *DB) committed(ctx context.Context, e events.Event) {
	db.eventsRecorded.Add(1)
	events.Log(ctx, db.eventLog, e)
}

// EventsRecorded counts the events this process has stored, for metrics.
func (db *DB) EventsRecorded() int64 { return db.eventsRecorded.Load() }

// ListEvents returns up to limit of the user's events, newest first, older than the
// event before (0: from the newest).
func (db *DB) ListEvents(ctx context.Context, userID, before int64, limit int) ([]events.Event, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.sql.QueryContext(ctx,
		`SELECT "id", "userId", "kind", "at", "address", "userAgent", "sessionId", "count", "detail" FROM "SecurityEvents"
		 WHERE "userId" = $1 AND "id" < $2 ORDER BY "id" DESC LIMIT $3`, userID, before, limit)
	if err != nil {
		return nil, db.wrap(err, "list events of user %d", userID)
	}
	defer rows.Close()
	out := []events.Event{}
	for rows.Next() {
		var e events.Event
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &e.UserID, &e.Kind, &at, &e.Address, &e.UserAgent, &e.SessionID, &e.Count, &detail); err != nil {
			return nil, db.wrap(err, "list events of user %d", userID)
		}
		e.At = time.UnixMilli(at)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("list events of user %d: event %d detail: %w", userID, e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "list events of user %d", userID)
	}
	return out, nil
}

// PurgeEvents deletes events older than before (EVENT_RETENTION), returning how many.
func (db *DB) PurgeEvents(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	n, err := rowsAffected(db.sql.ExecContext(ctx, `DELETE FROM "SecurityEvents" WHERE "at" < $1`, before.UnixMilli()))
	if err != nil {
		return 0, db.wrap(err, "purge events")
	}
	return n, nil
}
