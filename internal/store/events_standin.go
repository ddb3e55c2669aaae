package store

// STAND-IN until the events branch lands (it owns internal/events and store/events.go):
// the lead deletes this file at merge, and operatorEvent (operator.go) then returns an
// events.Event. Only what the operator's commands call is here.

import (
	"context"
	"encoding/json"
	"time"
)

// Event is the stand-in's events.Event.
type Event struct {
	ID                            int64
	UserID                        int64
	Kind                          string
	At                            time.Time
	Address, UserAgent, SessionID string
	Count                         int
	Detail                        map[string]string
}

const insertEvent = `INSERT INTO "SecurityEvents" ("userId", "kind", "at", "address", "userAgent", "sessionId", "count", "detail") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func recordEvent(ctx context.Context, db *DB, x execer, e Event) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		detail, _ = json.Marshal(e.Detail)
	}
	if e.Count == 0 {
		e.Count = 1
	}
	if _, err := x.ExecContext(ctx, insertEvent, e.UserID, e.Kind, e.At.UnixMilli(), e.Address, e.UserAgent, e.SessionID, e.Count, string(detail)); err != nil {
		return db.wrap(err, "record %s event of user %d", e.Kind, e.UserID)
	}
	return nil
}

// RecordEvent is the stand-in's DB.RecordEvent.
func (db *DB) RecordEvent(ctx context.Context, e Event) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	return recordEvent(ctx, db, db.sql, e)
}

// RecordEvent is the stand-in's Tx.RecordEvent.
func (t *Tx) RecordEvent(ctx context.Context, e Event) error { return recordEvent(ctx, t.db, t.tx, e) }

// UserEvents is the stand-in for the events branch's reader: the user's newest events
// first, at most limit.
func (db *DB) UserEvents(ctx context.Context, userID int64, limit int) ([]Event, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `SELECT "id", "kind", "at", "address", "userAgent", "sessionId", "count", "detail" FROM "SecurityEvents"
		WHERE "userId" = $1 ORDER BY "id" DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, db.wrap(err, "list events of user %d", userID)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{UserID: userID}
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &e.Kind, &at, &e.Address, &e.UserAgent, &e.SessionID, &e.Count, &detail); err != nil {
			return nil, db.wrap(err, "list events of user %d", userID)
		}
		e.At = time.UnixMilli(at)
		json.Unmarshal([]byte(detail), &e.Detail) //nolint:errcheck // the stand-in shows what it can
		out = append(out, e)
	}
	return out, rows.Err()
}

// PurgeEvents is the stand-in's retention purge: it deletes events older than before.
func (db *DB) PurgeEvents(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	n, err := rowsAffected(db.sql.ExecContext(ctx, `DELETE FROM "SecurityEvents" WHERE "at" < $1`, before.UnixMilli()))
	if err != nil {
		return 0, db.wrap(err, "purge events")
	}
	return n, nil
}
