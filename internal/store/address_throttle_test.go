package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authme/internal/testdb"
	"authme/internal/testkit"
)

func TestAddressThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("TakesTheBurstThenRefillsAtTheRate", func(t *testing.T) {
			t.Parallel()
			clk := testkit.NewClock(time.Now())
			a := tg.Migrated(t).AddressThrottle(6, 3, clk.Now) // one token every 10 s
			for i := range 3 {
				if ok, _, err := a.Allow(ctx, "a:192.0.2.1"); !ok || err != nil {
					t.Fatalf("attempt %d of the burst: %v, %v", i+1, ok, err)
				}
			}
			ok, wait, err := a.Allow(ctx, "a:192.0.2.1")
			if ok || err != nil || wait != 10*time.Second {
				t.Fatalf("empty bucket: %v, wait %v, %v; want refused for 10s", ok, wait, err)
			}
			if ok, _, _ := a.Allow(ctx, "a:192.0.2.2"); !ok {
				t.Fatal("another address was refused: buckets are per key")
			}
			clk.Advance(4 * time.Second)
			if ok, wait, _ := a.Allow(ctx, "a:192.0.2.1"); ok || wait != 6*time.Second {
				t.Fatalf("4 s later: %v, wait %v; want refused for 6s", ok, wait)
			}
			clk.Advance(6 * time.Second)
			if ok, _, _ := a.Allow(ctx, "a:192.0.2.1"); !ok {
				t.Fatal("10 s later: refused, want the refilled token")
			}
			if ok, _, _ := a.Allow(ctx, "a:192.0.2.1"); ok {
				t.Fatal("the refilled token was given twice")
			}
		})

		t.Run("RefillStopsAtTheBurst", func(t *testing.T) {
			t.Parallel()
			clk := testkit.NewClock(time.Now())
			a := tg.Migrated(t).AddressThrottle(60, 2, clk.Now)
			a.Allow(ctx, "a:k")
			clk.Advance(time.Hour)
			granted := 0
			for range 5 {
				if ok, _, _ := a.Allow(ctx, "a:k"); ok {
					granted++
				}
			}
			if granted != 2 {
				t.Fatalf("after an hour idle, %d attempts granted; want the burst of 2", granted)
			}
		})

		t.Run("EachScopePurgesOnlyItsOwnBuckets", func(t *testing.T) {
			t.Parallel()
			clk := testkit.NewClock(time.Now())
			db := tg.Migrated(t)
			login := db.AddressThrottle(60, 1, clk.Now)    // full again after 1 s
			mail := db.Scoped("mail-to:", 0.2, 1, clk.Now) // after 5 minutes
			for _, take := range []func() (bool, time.Duration, error){
				func() (bool, time.Duration, error) { return login.Allow(ctx, "a:k") },
				func() (bool, time.Duration, error) { return mail.Allow(ctx, "x@example.com") },
			} {
				if ok, _, err := take(); !ok || err != nil {
					t.Fatalf("first take refused: %v", err)
				}
			}
			clk.Advance(time.Minute)
			if n, err := login.Purge(ctx); n != 1 || err != nil {
				t.Fatalf("the log-in throttle purged %d (%v), want its own 1 bucket", n, err)
			}
			if ok, _, _ := mail.Allow(ctx, "x@example.com"); ok {
				t.Fatal("the mail bucket was purged by the log-in throttle: its limit started over")
			}
			if n, _ := mail.Purge(ctx); n != 0 {
				t.Fatalf("the mail throttle purged %d buckets a minute after use, want 0", n)
			}
			clk.Advance(10 * time.Minute)
			if n, _ := mail.Purge(ctx); n != 1 {
				t.Fatalf("the mail throttle purged %d buckets once full, want 1", n)
			}
		})

		t.Run("AClockBehindRefillsNothing", func(t *testing.T) {
			t.Parallel()
			clk := testkit.NewClock(time.Now())
			db := tg.Migrated(t)
			ahead := db.AddressThrottle(60, 1, func() time.Time { return clk.Now().Add(time.Minute) })
			behind := db.AddressThrottle(60, 1, clk.Now)
			if ok, _, _ := ahead.Allow(ctx, "a:k"); !ok {
				t.Fatal("first attempt refused")
			}
			if ok, _, _ := behind.Allow(ctx, "a:k"); ok {
				t.Fatal("an instance whose clock is a minute behind found a token")
			}
		})

		t.Run("ConcurrentAttemptsTakeExactlyTheBurst", func(t *testing.T) {
			t.Parallel()
			o := tg.Options(t)
			first := testdb.OpenWith(t, o)
			if _, err := first.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			clock := func() time.Time { return now }
			throttles := [3]interface {
				Allow(context.Context, string) (bool, time.Duration, error)
			}{first.AddressThrottle(1, 10, clock), testdb.OpenWith(t, o).AddressThrottle(1, 10, clock), testdb.OpenWith(t, o).AddressThrottle(1, 10, clock)}
			var granted atomic.Int64
			var wg sync.WaitGroup
			for i := range 60 {
				wg.Go(func() {
					ok, _, err := throttles[i%3].Allow(ctx, "a:2001:db8::/64")
					if err != nil {
						t.Errorf("Allow: %v", err)
					}
					if ok {
						granted.Add(1)
					}
				})
			}
			wg.Wait()
			if n := granted.Load(); n != 10 {
				t.Fatalf("60 concurrent attempts over three connections pools: %d granted, want the burst of 10", n)
			}
		})

		t.Run("PurgeDeletesOnlyFullBuckets", func(t *testing.T) {
			t.Parallel()
			clk := testkit.NewClock(time.Now())
			db := tg.Migrated(t)
			a := db.AddressThrottle(60, 3, clk.Now) // full again 3 s after the last attempt
			a.Allow(ctx, "a:old")
			clk.Advance(2 * time.Second)
			a.Allow(ctx, "a:new")
			clk.Advance(time.Second + time.Millisecond)
			if n, err := a.Purge(ctx); n != 1 || err != nil {
				t.Fatalf("Purge = %d, %v; want the one full bucket", n, err)
			}
			var keys []string
			rows, err := db.SQL().Query(`SELECT "key" FROM "AddressThrottles"`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				rows.Scan(&k)
				keys = append(keys, k)
			}
			if len(keys) != 1 || keys[0] != "a:new" {
				t.Fatalf("left after Purge: %v, want [a:new]", keys)
			}
		})
	})
}

// BenchmarkAddressThrottleAllow is the cost the shared bucket adds to each log-in and
// sign-up.
func BenchmarkAddressThrottleAllow(b *testing.B) {
	for _, tg := range testdb.Targets(b) {
		b.Run(tg.Dialect, func(b *testing.B) {
			a := tg.Migrated(b).AddressThrottle(1e9, 1e9, time.Now)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if ok, _, err := a.Allow(ctx, "a:192.0.2.1"); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
