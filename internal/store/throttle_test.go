package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"authme/internal/testdb"
)

// delayAfter3 blocks for n seconds from the third failure on.
func delayAfter3(n int) time.Duration {
	if n < 3 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func TestLoginThrottles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("CountsBlocksAndResets", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			if n, until, err := db.LoginThrottleState(ctx, "u:1"); err != nil || n != 0 || !until.IsZero() {
				t.Fatalf("unknown key = %d, %v, %v; want 0, zero time", n, until, err)
			}
			for i := 1; i <= 3; i++ {
				if err := db.RecordLoginFailure(ctx, "u:1", now, delayAfter3); err != nil {
					t.Fatalf("RecordLoginFailure %d: %v", i, err)
				}
				n, until, err := db.LoginThrottleState(ctx, "u:1")
				if err != nil || n != i {
					t.Fatalf("after %d failures: count %d, %v", i, n, err)
				}
				if i < 3 && !until.IsZero() {
					t.Errorf("after %d failures blocked until %v, want not blocked", i, until)
				}
				if i == 3 && !until.Equal(now.Add(3*time.Second)) {
					t.Errorf("after 3 failures blocked until %v, want %v", until, now.Add(3*time.Second))
				}
			}
			if n, _, _ := db.LoginThrottleState(ctx, "u:2"); n != 0 {
				t.Errorf("another key has %d failures, want 0", n)
			}
			if err := db.ResetLoginFailures(ctx, "u:1"); err != nil {
				t.Fatalf("ResetLoginFailures: %v", err)
			}
			if n, until, err := db.LoginThrottleState(ctx, "u:1"); err != nil || n != 0 || !until.IsZero() {
				t.Errorf("after reset = %d, %v, %v; want 0, zero time", n, until, err)
			}
		})

		t.Run("BlockNeverShortens", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			long := func(int) time.Duration { return time.Hour }
			short := func(int) time.Duration { return time.Second }
			if err := db.RecordLoginFailure(ctx, "c:ghost", now, long); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordLoginFailure(ctx, "c:ghost", now, short); err != nil {
				t.Fatal(err)
			}
			if _, until, _ := db.LoginThrottleState(ctx, "c:ghost"); !until.Equal(now.Add(time.Hour)) {
				t.Errorf("blocked until %v, want the longer %v kept", until, now.Add(time.Hour))
			}
		})

		t.Run("ConcurrentFailuresAllCount", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			const n = 20
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = db.RecordLoginFailure(ctx, "u:7", now, delayAfter3)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("failure %d: %v", i, err)
				}
			}
			if got, _, err := db.LoginThrottleState(ctx, "u:7"); err != nil || got != n {
				t.Errorf("count after %d concurrent failures = %d, %v", n, got, err)
			}
		})

		t.Run("PurgeDropsStaleThrottles", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			free := func(int) time.Duration { return 0 }
			if err := db.RecordLoginFailure(ctx, "c:stale", now.Add(-25*time.Hour), free); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordLoginFailure(ctx, "c:recent", now.Add(-time.Hour), free); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordLoginFailure(ctx, "c:stale-but-blocked", now.Add(-25*time.Hour), func(int) time.Duration { return 48 * time.Hour }); err != nil {
				t.Fatal(err)
			}
			if _, err := db.PurgeExpiredSessions(ctx, now, idleSince); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]int{"c:stale": 0, "c:recent": 1, "c:stale-but-blocked": 1} {
				if got, _, err := db.LoginThrottleState(ctx, key); err != nil || got != want {
					t.Errorf("%s after purge: %d failures, %v; want %d", key, got, err, want)
				}
			}
		})
	})
}
