package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/store"
)

// observeFailures hands failed and throttled log-ins to the aggregator: a queue send,
// no I/O, on the request path.
func observeFailures(a *events.Aggregator) func(auth.LoginFailure) {
	return func(f auth.LoginFailure) {
		kind := events.LoginFailed
		if f.Throttled {
			kind = events.LoginThrottled
		}
		a.Observe(events.Event{UserID: f.UserID, Kind: kind, Address: f.Address, UserAgent: f.UserAgent, Count: 1})
	}
}

// purgeEventsLoop deletes security events older than retention, now and every interval
// until ctx ends.
func purgeEventsLoop(ctx context.Context, db *store.DB, retention, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := db.PurgeEvents(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("purging old security events failed", "err", err)
		case n > 0:
			log.Info("purged old security events", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitFor waits for wg, at most d.
func waitFor(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
