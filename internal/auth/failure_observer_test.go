package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// failures keeps what the observer was told.
type failures struct {
	mu  sync.Mutex
	got []auth.LoginFailure
}

func (f *failures) observe(l auth.LoginFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, l)
}

// TestFailureObserver: the observer hears of wrong passwords and throttled attempts on
// existing accounts, with the client, and never of unknown names or successes.
func TestFailureObserver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.Targets(t)[0].Migrated(t) // no SQL of its own: one database is enough
	clk := testkit.NewClock(time.Unix(1_800_000_000, 0))
	f := &failures{}
	s, err := auth.NewService(db, cheap, discardLog(), auth.WithThrottle(db, auth.DefaultThrottle), auth.WithClock(clk.Now),
		auth.WithFailureObserver(f.observe))
	if err != nil {
		t.Fatal(err)
	}
	u := signup(t, s, db, "Demo-lition", "demo@user.io", "tidal-basin-47")
	try := func(credential, pw string) error {
		_, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: credential, Password: pw, Address: "203.0.113.7", UserAgent: "ua"})
		return err
	}
	if err := try("Demo-lition", "tidal-basin-47"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < auth.DefaultThrottle.FreeFailures; i++ {
		if err := try("nobody-here", "wrong-guess"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("unknown name: %v", err)
		}
		if err := try("demo@user.io", "wrong-guess"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if err := try("Demo-lition", "tidal-basin-47"); auth.ErrorCode(err) != auth.ETooMany {
		t.Fatalf("after the free failures: %v, want ETooMany", err)
	}
	if err := try("nobody-here", "wrong-guess"); auth.ErrorCode(err) != auth.ETooMany {
		t.Fatalf("unknown name after its free failures: %v, want ETooMany", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.got); n != auth.DefaultThrottle.FreeFailures+1 {
		t.Fatalf("observed %d failures %+v, want %d: the account's only", n, f.got, auth.DefaultThrottle.FreeFailures+1)
	}
	for i, l := range f.got {
		throttled := i == len(f.got)-1
		if l.UserID != u.ID || l.Throttled != throttled || l.Address != "203.0.113.7" || l.UserAgent != "ua" {
			t.Errorf("failure %d = %+v, want the account's, throttled %v, with its client", i, l, throttled)
		}
	}
}
