package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
)

// TestSessionUserConcurrent restores many sessions at once (on PostgreSQL, through the
// batcher) and checks that every caller gets its own answer: its own user, and "not
// found" exactly for sessions that are unknown, expired or idle.
func TestSessionUserConcurrent(t *testing.T) {
	t.Parallel()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		type want struct {
			user auth.User // zero when the session must not be found
		}
		wants := map[string]want{}
		for i := range 8 {
			u := mustCreateUser(t, db, fmt.Sprintf("user-%d", i), fmt.Sprintf("user%d@example.com", i))
			live := liveSession(fmt.Sprintf("live-%d", i), u.ID)
			expired := liveSession(fmt.Sprintf("expired-%d", i), u.ID)
			expired.ExpiresAt = now
			idle := liveSession(fmt.Sprintf("idle-%d", i), u.ID)
			idle.LastSeenAt = idleSince
			for _, s := range []session.Session{live, expired, idle} {
				mustCreateSession(t, db, s)
			}
			wants[live.ID] = want{user: u}
			wants[expired.ID], wants[idle.ID] = want{}, want{}
			wants[fmt.Sprintf("unknown-%d", i)] = want{}
		}
		ids := make([]string, 0, len(wants))
		for id := range wants {
			ids = append(ids, id)
		}

		const calls = 400
		before := db.RestoreStats()
		var wg sync.WaitGroup
		errs := make(chan error, calls)
		for i := range calls {
			wg.Go(func() {
				id := ids[i%len(ids)]
				u, s, err := db.SessionUser(context.Background(), id, now, idleSince)
				w := wants[id]
				switch {
				case w.user == (auth.User{}) && !errors.Is(err, auth.ErrNotFound):
					errs <- fmt.Errorf("%s: got %+v, %v; want not found", id, u, err)
				case w.user != (auth.User{}) && err != nil:
					errs <- fmt.Errorf("%s: %v", id, err)
				case w.user != (auth.User{}) && (u != w.user || s.ID != id || s.UserID != w.user.ID):
					errs <- fmt.Errorf("%s: got %+v %+v; want %+v", id, u, s, w.user)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}

		after := db.RestoreStats()
		if db.Dialect() == "sqlite" {
			if after != (store.RestoreStats{}) {
				t.Errorf("SQLite batched restores: %+v", after)
			}
			return
		}
		lookups, queries := after.Lookups-before.Lookups, after.Queries-before.Queries
		if lookups != calls || queries < 1 || queries > lookups {
			t.Errorf("batcher answered %d lookups in %d queries; want %d lookups in 1 to %d", lookups, queries, calls, calls)
		}
		t.Logf("%d restores in %d queries", lookups, queries)
	})
}

// TestSessionUserBatchesWhileBusy holds the only query slot on a locked table, queues
// restores behind it, and checks that one query answers them all when the lock goes.
func TestSessionUserBatchesWhileBusy(t *testing.T) {
	t.Parallel()
	tg := testdb.Postgres(t)
	o := tg.Options(t)
	o.MaxConns = 2 // one batch worker, one connection for the lock
	db := testdb.OpenWith(t, o)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
	const queued = 20
	for i := range queued + 1 {
		mustCreateSession(t, db, liveSession(fmt.Sprintf("s%d", i), u.ID))
	}

	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE "Sessions" IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	results := make(chan error, queued+1)
	restore := func(id string) {
		_, s, err := db.SessionUser(ctx, id, now, idleSince)
		if err == nil && s.ID != id {
			err = fmt.Errorf("got session %s", s.ID)
		}
		results <- err
	}
	wg.Go(func() { restore("s0") }) // takes the slot itself, and waits on the lock
	waitFor(t, func() bool { return inFlight(t, db) })
	for i := 1; i <= queued; i++ {
		wg.Go(func() { restore(fmt.Sprintf("s%d", i)) })
	}
	// The worker holds one of them while it waits for the slot; the rest stay queued.
	waitFor(t, func() bool { return db.RestoreStats().Waiting == queued-1 })
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Error(err)
		}
	}
	if st := db.RestoreStats(); st.Lookups != queued+1 || st.Queries != 2 {
		t.Errorf("stats %+v; want %d lookups in 2 queries (the blocked one, then one for the rest)", st, queued+1)
	}
}

// TestSessionUserCallerDeadline: a caller whose context ends while its batch is stuck
// gets an unavailable error (503), and the batch still answers the others later.
func TestSessionUserCallerDeadline(t *testing.T) {
	t.Parallel()
	tg := testdb.Postgres(t)
	o := tg.Options(t)
	o.MaxConns = 2
	db := testdb.OpenWith(t, o)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
	mustCreateSession(t, db, liveSession("s", u.ID))

	tx, err := db.SQL().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE "Sessions" IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err = db.SessionUser(ctx, "s", now, idleSince)
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.EUnavailable {
		t.Fatalf("SessionUser past its deadline = %v; want an EUnavailable error", err)
	}
	tx.Rollback()
	if !sessionLive(t, db, "s") {
		t.Error("after the lock went, the session is not found")
	}
}

// TestCloseWithBatcher: Close stops the batch workers, may be called twice, and a
// restore after it fails rather than hanging.
func TestCloseWithBatcher(t *testing.T) {
	t.Parallel()
	tg := testdb.Postgres(t)
	db, err := store.Open(context.Background(), tg.Options(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second Close is harmless, as sql.DB's is
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := db.SessionUser(context.Background(), "s", now, idleSince)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, auth.ErrNotFound) {
			t.Errorf("SessionUser after Close = %v; want an error", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("SessionUser after Close waits instead of failing")
	}
}

// inFlight reports whether a restore holds a connection beside the locking
// transaction's, its query not yet answered.
func inFlight(t *testing.T, db *store.DB) bool {
	t.Helper()
	return db.SQL().Stats().InUse >= 2 && db.RestoreStats().Queries == 0
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out waiting")
}
