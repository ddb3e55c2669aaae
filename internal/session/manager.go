package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"authme/internal/auth"
	"authme/internal/events"
)

// ErrNoSession means a token is malformed, forged, expired or revoked: there is no user.
var ErrNoSession = errors.New("no valid session")

// Manager starts, restores, lists and ends sessions.
type Manager struct {
	store  Store
	secret []byte
	ttl    time.Duration
	idle   time.Duration
	now    func() time.Time
	verify *verifier
}

// DefaultIdleTimeout ends a session unused for this long.
const DefaultIdleTimeout = 24 * time.Hour

// TouchInterval is how stale "last seen" may get before a request writes it: at most one
// write a minute per session keeps the request path read-only.
const TouchInterval = time.Minute

// NewManager returns a Manager signing with secret; sessions last ttl at most, and end
// after idle without use (0 means DefaultIdleTimeout).
func NewManager(store Store, secret []byte, ttl, idle time.Duration, now func() time.Time) *Manager {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return &Manager{
		store:  store,
		secret: secret,
		ttl:    ttl,
		idle:   idle,
		now:    now,
		verify: newVerifier(secret, now),
	}
}

// TTL is how long a new session lasts.
func (m *Manager) TTL() time.Duration { return m.ttl }

type claims struct {
	Data auth.User `json:"data"`
	jwt.RegisteredClaims
}

// New makes a session for u and its signed token without recording it: the login
// package records it in the transaction of the way in.
func (m *Manager) New(u auth.User, userAgent string) (string, Session, error) {
	id, err := newID()
	if err != nil {
		return "", Session{}, err
	}
	now := m.now().Truncate(time.Second)
	s := Session{ID: id, UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.ttl), UserAgent: cleanUserAgent(userAgent)}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Data: u,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        id,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(s.ExpiresAt),
		},
	}).SignedString(m.secret)
	if err != nil {
		return "", Session{}, fmt.Errorf("sign token: %w", err)
	}
	return tok, s, nil
}

// Restore returns the user and session id behind token. Any token that is not a live
// session of ours gives ErrNoSession; other errors are the store's. "Last seen" is
// written when it is over a minute old.
func (m *Manager) Restore(ctx context.Context, token string) (auth.User, string, error) {
	id, err := m.parse(token)
	if err != nil {
		return auth.User{}, "", ErrNoSession
	}
	now := m.now()
	u, s, err := m.store.SessionUser(ctx, id, now, now.Add(-m.idle))
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, "", ErrNoSession
	}
	if err != nil {
		return auth.User{}, "", err
	}
	if now.Sub(s.LastSeenAt) >= TouchInterval {
		// "Last seen" is bookkeeping for the idle timeout: a failed write (a read-only
		// moment of the database) must not fail a request whose session read fine. The
		// next request a minute on tries again.
		_ = m.store.TouchSession(ctx, id, now)
	}
	return u, id, nil
}

// List returns the user's live sessions, newest first.
func (m *Manager) List(ctx context.Context, userID int64) ([]Session, error) {
	now := m.now()
	return m.store.UserSessions(ctx, userID, now, now.Add(-m.idle))
}

// EndOne ends one of the user's sessions, as asked from o, and records it;
// auth.ErrNotFound when they have no such one.
func (m *Manager) EndOne(ctx context.Context, userID int64, id string, o events.Origin) error {
	e := o.Event(userID, events.SessionsEnded, m.now())
	e.Detail = map[string]string{events.DetailWhich: events.WhichOne, events.DetailCount: "1", events.DetailSession: id}
	ok, err := m.store.DeleteUserSession(ctx, userID, id, e)
	if err != nil {
		return err
	}
	if !ok {
		return auth.ErrNotFound
	}
	return nil
}

// EndOthers ends every session of the user but keep, as asked from o, records it when
// any ended, and returns how many did.
func (m *Manager) EndOthers(ctx context.Context, userID int64, keep string, o events.Origin) (int64, error) {
	e := o.Event(userID, events.SessionsEnded, m.now())
	e.Detail = map[string]string{events.DetailWhich: events.WhichOthers}
	return m.store.DeleteOtherSessions(ctx, userID, keep, e)
}

// parse checks the token's signature, algorithm and expiry and returns its jti.
func (m *Manager) parse(token string) (string, error) {
	id, ok := m.verify.verify(token)
	if !ok {
		return "", ErrNoSession
	}
	return id, nil
}

// End ends the user's session id (a log-out from o) and records it.
func (m *Manager) End(ctx context.Context, userID int64, id string, o events.Origin) error {
	o.SessionID = id
	return m.store.DeleteSession(ctx, id, o.Event(userID, events.Logout, m.now()))
}

// PurgeLoop deletes expired sessions every interval until ctx ends.
func (m *Manager) PurgeLoop(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := m.now()
		n, err := m.store.PurgeExpiredSessions(ctx, now, now.Add(-m.idle))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("purging expired sessions failed", "err", err)
		case n > 0:
			log.Info("purged expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newID() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// cleanUserAgent makes the header safe to store: valid UTF-8, no NULs, bounded.
func cleanUserAgent(ua string) string {
	ua = strings.ToValidUTF8(strings.ReplaceAll(ua, "\x00", ""), "\uFFFD")
	if len(ua) <= MaxUserAgent {
		return ua
	}
	ua = ua[:MaxUserAgent]
	for !utf8.ValidString(ua) {
		ua = ua[:len(ua)-1]
	}
	return ua
}
