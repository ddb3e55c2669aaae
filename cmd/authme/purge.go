package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"authme/internal/outbox"
	"authme/internal/session"
	"authme/internal/store"
)

// purgeJSON is what `authme purge --json` prints: the rows deleted, by kind.
type purgeJSON struct {
	Sessions int64 `json:"sessions"`
	Tokens   int64 `json:"tokens"`
	// Attempts are expired log-ins that waited for a second factor, and passkey
	// ceremonies that were never finished.
	Attempts int64 `json:"attempts"`
	Events   int64 `json:"events"`
	Mail     int64 `json:"mail"`
}

// purge runs `authme purge [--json]`: now, what the server's loops delete on their
// schedule (expired or idle sessions with stale throttle records, expired mailed tokens,
// expired log-in attempts and passkey challenges, events past their retention, mail done
// with a week ago).
func (e env) purge(ctx context.Context, db *store.DB, args []string) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCommand(fs, args, 0, 0, "authme purge [--json]"); err != nil {
		return err
	}
	now := time.Now()
	var out purgeJSON
	var err error
	idle := e.cfg.SessionIdleTimeout
	if idle <= 0 {
		idle = session.DefaultIdleTimeout
	}
	if out.Sessions, err = db.PurgeExpiredSessions(ctx, now, now.Add(-idle)); err != nil {
		return err
	}
	if out.Tokens, err = db.PurgeExpiredTokens(ctx, now); err != nil {
		return err
	}
	pending, err := db.PurgeExpiredPendingLogins(ctx, now)
	if err != nil {
		return err
	}
	challenges, err := db.PurgeExpiredChallenges(ctx, now)
	if err != nil {
		return err
	}
	out.Attempts = pending + challenges
	if out.Events, err = db.PurgeEvents(ctx, now.Add(-e.cfg.EventRetention)); err != nil {
		return err
	}
	if out.Mail, err = db.Outbox().Purge(ctx, now.Add(-outbox.DefaultRetention)); err != nil {
		return err
	}
	t := &table{header: []string{"DELETED", "COUNT"}}
	t.add("expired sessions", fmt.Sprint(out.Sessions))
	t.add("expired tokens", fmt.Sprint(out.Tokens))
	t.add("expired log-in attempts", fmt.Sprint(out.Attempts))
	t.add("old events", fmt.Sprint(out.Events))
	t.add("sent mail", fmt.Sprint(out.Mail))
	return output(e.stdout, *asJSON, out, t)
}
