package session

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authme/internal/auth"
)

// stubStore is a SessionStore whose every session is live, so the fuzzer reaches the
// store only through a token that parsed.
type stubStore struct{ Store }

func (stubStore) SessionUser(context.Context, string, time.Time, time.Time) (auth.User, Session, error) {
	return auth.User{ID: 1}, Session{LastSeenAt: time.Now()}, nil
}

// FuzzRestoreToken throws arbitrary token strings at Restore. Nothing panics, and every
// token it accepts is one that an independent check (golang-jwt, HS256 only, strict
// base64, exp required) also finds signed with our secret and unexpired.
func FuzzRestoreToken(f *testing.F) {
	secret := []byte("fuzz secret that is long enough for HS256 tests")
	m := NewManager(stubStore{}, secret, time.Hour, time.Hour, time.Now)
	// A fixed seed token (the fuzzing workers must all see the same corpus).
	good, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"data": map[string]any{"id": 1, "username": "Demo-lition", "email": "demo@user.io"},
		"jti":  "seed-session", "exp": 4102444800, // 2100-01-01
	}).SignedString(secret)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	f.Add(none + "." + parts[1] + ".")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(good + "A")
	f.Add(strings.Repeat("a", 5000))
	f.Add("..")
	f.Add(`eyJhbGciOiJIUzI1NiJ9.eyJkYXRhIjp7ImlkIjoxZTMwMH0sImp0aSI6IngiLCJleHAiOjk5OTk5OTk5OTl9.x`)
	independent := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithStrictDecoding(), jwt.WithExpirationRequired())
	f.Fuzz(func(t *testing.T, tok string) {
		_, _, err := m.Restore(context.Background(), tok)
		if err != nil {
			return
		}
		if _, err := independent.Parse(tok, func(*jwt.Token) (any, error) { return secret, nil }); err != nil {
			t.Fatalf("Restore accepted %q, which golang-jwt refuses: %v", tok, err)
		}
	})
}
