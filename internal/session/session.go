// Package session owns sessions: the Session record, the Store port that keeps them,
// and the Manager that signs, restores, lists and ends them. A session's token is an
// HS256 JWT like the seed's (data: {id, username, email}, plus exp and a unique jti),
// honoured only while its row lives, so logging out kills the token everywhere.
//
// Starting a session is not here: it is the login package's, which writes the row in
// the same transaction as whatever else the way in changes.
package session

import (
	"context"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
)

// Session is a server-side record of one log-in. A token is only honoured while its
// session exists, has not expired and has not been idle too long, so logging out (or
// being logged out from another device) really ends it.
type Session struct {
	ID         string // the token's jti; never chosen by the client
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	UserAgent  string
}

// MaxUserAgent bounds the stored User-Agent.
const MaxUserAgent = 512

// Store keeps sessions. A session is live at now when ExpiresAt > now and LastSeenAt >
// idleSince.
type Store interface {
	// SessionUser returns the live session id with its user, in one query;
	// auth.ErrNotFound when it is unknown, expired or idle. Of the session, only ID,
	// UserID and LastSeenAt need be filled in.
	SessionUser(ctx context.Context, id string, now, idleSince time.Time) (auth.User, Session, error)
	// TouchSession records that the session was used at now.
	TouchSession(ctx context.Context, id string, now time.Time) error
	// DeleteSession ends a session and, when it was there, records e (unless e.Kind is
	// empty) in the same transaction.
	DeleteSession(ctx context.Context, id string, e events.Event) error
	// UserSessions lists the user's live sessions, newest first.
	UserSessions(ctx context.Context, userID int64, now, idleSince time.Time) ([]Session, error)
	// DeleteUserSession ends one of the user's sessions, recording e with it; false when
	// they have no such one.
	DeleteUserSession(ctx context.Context, userID int64, id string, e events.Event) (bool, error)
	// DeleteOtherSessions ends every session of the user but keep and, when any ended,
	// records e with their number as detail "count".
	DeleteOtherSessions(ctx context.Context, userID int64, keep string, e events.Event) (int64, error)
	// PurgeExpiredSessions deletes sessions that are no longer live.
	PurgeExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error)
}
