// Package session issues and checks session tokens: HS256 JWTs like the seed's
// (data: {id, username, email}, plus exp and a unique jti), each backed by a row in the
// session store, so that logging out kills the token everywhere.
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
)

// ErrNoSession means a token is malformed, forged, expired or revoked: there is no user.
var ErrNoSession = errors.New("no valid session")

// Manager starts, restores and ends sessions.
type Manager struct {
	store  auth.SessionStore
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewManager returns a Manager signing with secret; sessions last ttl.
func NewManager(store auth.SessionStore, secret []byte, ttl time.Duration, now func() time.Time) *Manager {
	return &Manager{
		store:  store,
		secret: secret,
		ttl:    ttl,
		now:    now,
		// Pinning HS256 refuses "none" and every algorithm-confusion trick.
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(), jwt.WithTimeFunc(now)),
	}
}

// TTL is how long a new session lasts.
func (m *Manager) TTL() time.Duration { return m.ttl }

type claims struct {
	Data auth.User `json:"data"`
	jwt.RegisteredClaims
}

// Start records a new session for u and returns its signed token.
func (m *Manager) Start(ctx context.Context, u auth.User, userAgent string) (string, auth.Session, error) {
	id, err := newID()
	if err != nil {
		return "", auth.Session{}, err
	}
	now := m.now().Truncate(time.Second)
	s := auth.Session{ID: id, UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.ttl), UserAgent: cleanUserAgent(userAgent)}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Data: u,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        id,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(s.ExpiresAt),
		},
	}).SignedString(m.secret)
	if err != nil {
		return "", auth.Session{}, fmt.Errorf("sign token: %w", err)
	}
	if err := m.store.CreateSession(ctx, s); err != nil {
		return "", auth.Session{}, err
	}
	return tok, s, nil
}

// Restore returns the user and session id behind token. Any token that is not a live
// session of ours gives ErrNoSession; other errors are the store's.
func (m *Manager) Restore(ctx context.Context, token string) (auth.User, string, error) {
	id, err := m.parse(token)
	if err != nil {
		return auth.User{}, "", ErrNoSession
	}
	u, err := m.store.SessionUser(ctx, id, m.now())
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, "", ErrNoSession
	}
	if err != nil {
		return auth.User{}, "", err
	}
	return u, id, nil
}

// parse checks the token's signature, algorithm and expiry and returns its jti.
func (m *Manager) parse(token string) (string, error) {
	if len(token) > 4096 {
		return "", ErrNoSession
	}
	var c claims
	if _, err := m.parser.ParseWithClaims(token, &c, m.key); err != nil {
		return "", err
	}
	if c.ID == "" || len(c.ID) > 64 {
		return "", ErrNoSession
	}
	return c.ID, nil
}

func (m *Manager) key(*jwt.Token) (any, error) { return m.secret, nil }

// End deletes a session.
func (m *Manager) End(ctx context.Context, id string) error { return m.store.DeleteSession(ctx, id) }

// PurgeLoop deletes expired sessions every interval until ctx ends.
func (m *Manager) PurgeLoop(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := m.store.PurgeExpiredSessions(ctx, m.now())
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
	if len(ua) <= auth.MaxUserAgent {
		return ua
	}
	ua = ua[:auth.MaxUserAgent]
	for !utf8.ValidString(ua) {
		ua = ua[:len(ua)-1]
	}
	return ua
}
