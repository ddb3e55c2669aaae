package auth

import (
	"context"
	"time"
)

// Session is a server-side record of one log-in. A token is only honoured while its
// session exists and has not expired, so logging out really ends it.
type Session struct {
	ID         string // the token's jti
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	UserAgent  string
}

// MaxUserAgent bounds the stored User-Agent.
const MaxUserAgent = 512

// SessionStore keeps sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// SessionUser returns the user of the live session id in one query; ErrNotFound when
	// the session is unknown or expired at now.
	SessionUser(ctx context.Context, id string, now time.Time) (User, error)
	DeleteSession(ctx context.Context, id string) error
	PurgeExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}
