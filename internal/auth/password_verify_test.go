package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// kindsHasher is a hasher of two kinds of hash, "a:<pw>" and "b:<pw>", that counts its
// verifications: the work a log-in does, measured exactly rather than by the clock.
type kindsHasher struct {
	mu       sync.Mutex
	verified []string // the kinds verified since the last reset
}

func (h *kindsHasher) Hash(pw string) (string, error) { return "a:" + pw, nil }

func (h *kindsHasher) Verify(hash, pw string) (bool, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.verified = append(h.verified, h.KindOf(hash))
	return hash[2:] == pw, false, nil
}

func (h *kindsHasher) KindOf(hash string) string { return hash[:1] }

func (h *kindsHasher) DecoyHashes() (map[string]string, error) {
	return map[string]string{"a": "a:decoy", "b": "b:decoy"}, nil
}

func (h *kindsHasher) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.verified
	h.verified = nil
	return v
}

// TestFailedLoginsVerifyEveryKindOnce: whatever makes a log-in fail (no such account, a
// wrong password on an account of either kind of hash), it verifies exactly one hash of
// each kind, so failures cost the same; a success stops at the account's own hash.
func TestFailedLoginsVerifyEveryKindOnce(t *testing.T) {
	t.Parallel()
	db := testdb.Targets(t)[0].Migrated(t)
	h := &kindsHasher{}
	s := newService(t, db, h, nil)
	ctx := context.Background()
	for _, u := range []struct{ name, hash string }{{"alice", "a:alice-pw"}, {"bobby", "b:bobby-pw"}} {
		if _, err := testdb.CreateUser(ctx, db, u.name, u.name+"@user.io", u.hash); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, credential, password string
		wantErr                    bool
		want                       string // the kinds verified, sorted
	}{
		{"UnknownName", "nobody", "whatever", true, "a b"},
		{"WrongPasswordKindA", "alice", "wrong", true, "a b"},
		{"WrongPasswordKindB", "bobby@user.io", "wrong", true, "a b"},
		{"RightPasswordKindA", "alice", "alice-pw", false, "a"},
		{"RightPasswordKindB", "bobby", "bobby-pw", false, "a b"}, // kinds run in order: a's decoy first
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.take()
			_, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: tt.credential, Password: tt.password})
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Login error %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("Login error %v, want ErrInvalidCredentials", err)
			}
			got := h.take()
			if len(got) == 2 && got[0] > got[1] {
				got[0], got[1] = got[1], got[0]
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("verified kinds %q, want %q", g, tt.want)
			}
		})
	}
}
