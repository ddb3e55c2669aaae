package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/store"
	"authme/internal/testdb"
)

// policy3 allows 3 failures, then waits 2 s, 4 s, 8 s, capped at 10 s.
var policy3 = auth.ThrottlePolicy{FreeFailures: 3, BaseDelay: 2 * time.Second, MaxDelay: 10 * time.Second, Lease: 30 * time.Second}

// attempt reserves and finishes one attempt at at, failing unless outcome says otherwise;
// it reports whether the reservation was granted.
func attempt(t *testing.T, db *store.DB, key string, at time.Time, outcome auth.AttemptOutcome) auth.Reservation {
	t.Helper()
	r, err := db.ReserveLoginAttempt(context.Background(), key, at, policy3)
	if err != nil {
		t.Fatalf("reserve %s: %v", key, err)
	}
	if r.Granted {
		if err := db.FinishLoginAttempt(context.Background(), key, at, outcome, policy3); err != nil {
			t.Fatalf("finish %s: %v", key, err)
		}
	}
	return r
}

func TestLoginThrottles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("FailuresBlockWithDoublingWaitThatStopsGrowing", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			at := now
			// Three free failures, then waits of 2, 4, 8 and 10 s; the count stops at the
			// sixth failure, the first whose wait is the longest.
			wantWaits := []time.Duration{0, 0, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}
			for i, want := range wantWaits {
				if r := attempt(t, db, "u:1", at, auth.AttemptFailed); !r.Granted {
					t.Fatalf("attempt %d refused (blocked until %v) at %v", i+1, r.BlockedUntil, at)
				}
				n, until, err := db.LoginThrottleState(ctx, "u:1")
				if err != nil {
					t.Fatal(err)
				}
				if wantN := min(i+1, policy3.MaxFailures()); n != wantN {
					t.Errorf("after %d failures the count is %d, want %d", i+1, n, wantN)
				}
				got := time.Duration(0)
				if !until.IsZero() {
					got = until.Sub(at)
				}
				if got != want {
					t.Errorf("after %d failures blocked for %v, want %v", i+1, got, want)
				}
				if want > 0 {
					if r := attempt(t, db, "u:1", at.Add(want-time.Second), auth.AttemptFailed); r.Granted || !r.BlockedUntil.Equal(until) {
						t.Fatalf("attempt during the wait: %+v, want refused until %v", r, until)
					}
				}
				at = at.Add(want)
			}
			if policy3.MaxFailures() != 6 {
				t.Errorf("MaxFailures = %d, want 6 (3 free + 2, 4, 8, 10 s)", policy3.MaxFailures())
			}
		})

		t.Run("SuccessClearsFailures", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			attempt(t, db, "u:2", now, auth.AttemptFailed)
			attempt(t, db, "u:2", now, auth.AttemptFailed)
			attempt(t, db, "u:2", now, auth.AttemptSucceeded)
			if n, until, err := db.LoginThrottleState(ctx, "u:2"); err != nil || n != 0 || !until.IsZero() {
				t.Errorf("after a success: %d failures, blocked until %v, %v; want 0, none", n, until, err)
			}
		})

		t.Run("PlacesAreTheFailuresLeft", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			attempt(t, db, "u:3", now, auth.AttemptFailed) // 2 places left
			for i := range 2 {
				if r, err := db.ReserveLoginAttempt(ctx, "u:3", now, policy3); err != nil || !r.Granted {
					t.Fatalf("reservation %d: %+v, %v; want granted", i+1, r, err)
				}
			}
			r, err := db.ReserveLoginAttempt(ctx, "u:3", now, policy3)
			if err != nil || r.Granted || !r.BlockedUntil.IsZero() {
				t.Fatalf("third reservation with two in flight: %+v, %v; want refused, not blocked", r, err)
			}
			// One in flight succeeds: its place is free again.
			if err := db.FinishLoginAttempt(ctx, "u:3", now, auth.AttemptSucceeded, policy3); err != nil {
				t.Fatal(err)
			}
			if r, err := db.ReserveLoginAttempt(ctx, "u:3", now, policy3); err != nil || !r.Granted {
				t.Fatalf("after a success: %+v, %v; want granted", r, err)
			}
			// An abandoned attempt frees its place and counts nothing.
			if err := db.FinishLoginAttempt(ctx, "u:3", now, auth.AttemptAbandoned, policy3); err != nil {
				t.Fatal(err)
			}
			if n, _, _ := db.LoginThrottleState(ctx, "u:3"); n != 0 {
				t.Errorf("failures after success and abandon: %d, want 0", n)
			}
		})

		t.Run("LeaseForgetsLostReservations", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			for range 3 { // three attempts whose instance died: never finished
				if r, err := db.ReserveLoginAttempt(ctx, "u:4", now, policy3); err != nil || !r.Granted {
					t.Fatalf("reserve: %+v, %v", r, err)
				}
			}
			if r, _ := db.ReserveLoginAttempt(ctx, "u:4", now.Add(29*time.Second), policy3); r.Granted {
				t.Fatal("granted while three reservations hold all places within their lease")
			}
			if r, _ := db.ReserveLoginAttempt(ctx, "u:4", now.Add(31*time.Second), policy3); !r.Granted {
				t.Fatal("refused after the lease of the lost reservations ended")
			}
		})

		t.Run("ConcurrentReservationsGrantOnlyThePlaces", func(t *testing.T) {
			t.Parallel()
			o := tg.Options(t)
			dbs := []*store.DB{testdb.OpenWith(t, o), testdb.OpenWith(t, o)}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			const n = 40
			var granted atomic.Int32
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := dbs[i%2].ReserveLoginAttempt(ctx, "u:7", now, policy3)
					if err != nil {
						t.Errorf("reserve %d: %v", i, err)
					}
					if r.Granted {
						granted.Add(1)
					}
				}()
			}
			wg.Wait()
			if g := granted.Load(); g != int32(policy3.FreeFailures) {
				t.Errorf("%d of %d concurrent reservations granted, want exactly %d", g, n, policy3.FreeFailures)
			}
		})

		t.Run("PurgeDropsStaleThrottles", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			attempt(t, db, "c:stale", now.Add(-25*time.Hour), auth.AttemptFailed)
			attempt(t, db, "c:recent", now.Add(-time.Hour), auth.AttemptFailed)
			long := policy3
			long.FreeFailures, long.BaseDelay, long.MaxDelay = 1, 48*time.Hour, 48*time.Hour
			if _, err := db.ReserveLoginAttempt(ctx, "c:stale-but-blocked", now.Add(-25*time.Hour), long); err != nil {
				t.Fatal(err)
			}
			if err := db.FinishLoginAttempt(ctx, "c:stale-but-blocked", now.Add(-25*time.Hour), auth.AttemptFailed, long); err != nil {
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
