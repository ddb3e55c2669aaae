package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"authme/internal/auth"
	"authme/internal/session"
	"authme/internal/store"
)

// sessionManager is the session manager serve wires, with the same lifetimes, so the
// commands see the sessions the server would honour.
func (e env) sessionManager(db *store.DB) *session.Manager {
	return session.NewManager(db, e.cfg.JWTSecret, e.cfg.JWTExpiresIn, e.cfg.SessionIdleTimeout, time.Now)
}

// sessionJSON is a session in --json output.
type sessionJSON struct {
	ID         string  `json:"id"`
	CreatedAt  *string `json:"createdAt"`
	LastSeenAt *string `json:"lastSeenAt"`
	ExpiresAt  *string `json:"expiresAt"`
	UserAgent  string  `json:"userAgent"`
}

// sessionsList runs `authme sessions list ACCOUNT [--json]`: the live sessions, newest first.
func (e env) sessionsList(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "sessions list", args)
	if err != nil {
		return err
	}
	sessions, err := e.sessionManager(db).List(ctx, a.ID)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(sessions))
	t := &table{header: []string{"ID", "CREATED", "LAST SEEN", "EXPIRES", "BROWSER"}}
	for i, s := range sessions {
		out[i] = sessionJSON{ID: s.ID, CreatedAt: jsonTime(s.CreatedAt), LastSeenAt: jsonTime(s.LastSeenAt), ExpiresAt: jsonTime(s.ExpiresAt), UserAgent: s.UserAgent}
		t.add(s.ID, stamp(s.CreatedAt), stamp(s.LastSeenAt), stamp(s.ExpiresAt), orDash(s.UserAgent))
	}
	return output(e.stdout, asJSON, out, t)
}

// sessionsEnd runs `authme sessions end ACCOUNT [ID] [--json]`: one session, or every
// one of the account's.
func (e env) sessionsEnd(ctx context.Context, db *store.DB, args []string) error {
	fs := flag.NewFlagSet("sessions end", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommand(fs, args, 1, 2, "authme sessions end ACCOUNT [ID] [--json]")
	if err != nil {
		return err
	}
	a, err := account(ctx, db, pos[0])
	if err != nil {
		return err
	}
	id := ""
	if len(pos) == 2 {
		id = pos[1]
	}
	ended, err := db.EndAccountSessions(ctx, a.ID, id, time.Now())
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("%s has no session %q (see authme sessions list %s)", a.Username, id, a.Username)
	}
	if err != nil {
		return err
	}
	return e.change(*asJSON, a, ended > 0, ended, fmt.Sprintf("ended %d sessions of %s (id %d)", ended, a.Username, a.ID))
}
