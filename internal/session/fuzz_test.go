package session

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
)

// stubStore is a SessionStore whose every session is live, so the fuzzer reaches the
// store only through a token that parsed.
type stubStore struct{ auth.SessionStore }

func (stubStore) SessionUser(context.Context, string, time.Time, time.Time) (auth.User, auth.Session, error) {
	return auth.User{ID: 1}, auth.Session{LastSeenAt: time.Now()}, nil
}

// FuzzRestoreToken throws arbitrary token strings at Restore: a token not signed with
// our secret and HS256 never yields a user, and nothing panics.
func FuzzRestoreToken(f *testing.F) {
	secret := []byte("fuzz secret that is long enough for HS256 tests")
	m := NewManager(stubStore{}, secret, time.Hour, time.Hour, time.Now)
	good, _, _ := m.New(auth.User{ID: 1, Username: "Demo-lition", Email: "demo@user.io"}, "ua")
	f.Add(good)
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	f.Add(none + "." + parts[1] + ".")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(strings.Repeat("a", 5000))
	f.Add("..")
	f.Add(`eyJhbGciOiJIUzI1NiJ9.eyJkYXRhIjp7ImlkIjoxZTMwMH0sImp0aSI6IngiLCJleHAiOjk5OTk5OTk5OTl9.x`)
	f.Fuzz(func(t *testing.T, tok string) {
		_, _, err := m.Restore(context.Background(), tok)
		if err == nil && tok != good {
			// Any other accepted token must be a re-encoding of a genuine signature.
			if _, perr := m.parse(tok); perr != nil {
				t.Fatalf("Restore accepted %q that parse refuses", tok)
			}
			if !strings.HasSuffix(tok, parts[2]) && !strings.Contains(tok, parts[2][:10]) {
				t.Fatalf("Restore accepted a token with a signature we never made: %q", tok)
			}
		}
	})
}
