package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
)

// sessionUserer is the one method the restore tests call, on a DB or a BatchedRestores.
type sessionUserer interface {
	SessionUser(ctx context.Context, id string, now, idleSince time.Time) (auth.User, session.Session, error)
}

// TestSessionUserConcurrent restores many sessions at once through each shape of session
// store (the plain database on both, batched restores on PostgreSQL) and checks that
// every caller gets its own answer: its own user, and "not found" exactly for sessions
// that are unknown, expired or idle.
func TestSessionUserConcurrent(t *testing.T) {
	t.Parallel()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		wants := mixedSessions(t, db)
		t.Run("plain", func(t *testing.T) {
			restoreConcurrently(t, db, wants)
		})
		if db.Dialect() != "postgres" {
			return
		}
		t.Run("batched", func(t *testing.T) {
			b := batchRestores(t, db)
			restoreConcurrently(t, b, wants)
			st := b.Stats()
			if st.Lookups != concurrentRestores || st.Queries < 1 || st.Queries > st.Lookups || st.Waiting != 0 {
				t.Errorf("stats %+v; want %d lookups in 1 to %[2]d queries, none waiting", st, concurrentRestores)
			}
			t.Logf("%d restores in %d queries", st.Lookups, st.Queries)
		})
	})
}

// concurrentRestores is how many restores restoreConcurrently starts at once.
const concurrentRestores = 400

// mixedSessions creates users with a live, an expired and an idle session each, and
// returns the user each session id (unknown ones too) must restore: the zero User for
// the ones that must not be found.
func mixedSessions(t *testing.T, db *store.DB) map[string]auth.User {
	t.Helper()
	wants := map[string]auth.User{}
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
		wants[live.ID] = u
		wants[expired.ID], wants[idle.ID] = auth.User{}, auth.User{}
		wants[fmt.Sprintf("unknown-%d", i)] = auth.User{}
	}
	return wants
}

// restoreConcurrently restores the sessions of wants, concurrentRestores at once, and
// fails on every answer that is not the one wants gives.
func restoreConcurrently(t *testing.T, st sessionUserer, wants map[string]auth.User) {
	t.Helper()
	ids := make([]string, 0, len(wants))
	for id := range wants {
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	errs := make(chan error, concurrentRestores)
	for i := range concurrentRestores {
		wg.Go(func() {
			id := ids[i%len(ids)]
			u, s, err := st.SessionUser(context.Background(), id, now, idleSince)
			w := wants[id]
			switch {
			case w == (auth.User{}) && !errors.Is(err, auth.ErrNotFound):
				errs <- fmt.Errorf("%s: got %+v, %v; want not found", id, u, err)
			case w != (auth.User{}) && err != nil:
				errs <- fmt.Errorf("%s: %v", id, err)
			case w != (auth.User{}) && (u != w || s.ID != id || s.UserID != w.ID):
				errs <- fmt.Errorf("%s: got %+v %+v; want %+v", id, u, s, w)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestBatchedRestoresFormBatchWhileBusy holds the only query slot on a locked table,
// queues restores behind it, and checks that one query answers them all when the lock
// goes.
func TestBatchedRestoresFormBatchWhileBusy(t *testing.T) {
	t.Parallel()
	db := postgresWithPool(t, 2) // one batch worker, one connection for the lock
	b := batchRestores(t, db)
	u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
	const queued = 20
	for i := range queued + 1 {
		mustCreateSession(t, db, liveSession(fmt.Sprintf("s%d", i), u.ID))
	}

	ctx := context.Background()
	tx := lockSessions(t, db)
	var wg sync.WaitGroup
	results := make(chan error, queued+1)
	restore := func(id string) {
		_, s, err := b.SessionUser(ctx, id, now, idleSince)
		if err == nil && s.ID != id {
			err = fmt.Errorf("got session %s", s.ID)
		}
		results <- err
	}
	wg.Go(func() { restore("s0") }) // takes the slot itself, and waits on the lock
	waitFor(t, func() bool { return db.SQL().Stats().InUse >= 2 && b.Stats().Queries == 0 })
	for i := 1; i <= queued; i++ {
		wg.Go(func() { restore(fmt.Sprintf("s%d", i)) })
	}
	// The worker holds one of them while it waits for the slot; the rest stay queued.
	waitFor(t, func() bool { return b.Stats().Waiting == queued-1 })
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
	if st := b.Stats(); st.Lookups != queued+1 || st.Queries != 2 {
		t.Errorf("stats %+v; want %d lookups in 2 queries (the blocked one, then one for the rest)", st, queued+1)
	}
}

// TestBatchedRestoresCallerDeadline: a caller whose context ends while its batch is
// stuck gets an unavailable error (503), and the batch still answers the others later.
func TestBatchedRestoresCallerDeadline(t *testing.T) {
	t.Parallel()
	db := postgresWithPool(t, 2)
	b := batchRestores(t, db)
	u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
	mustCreateSession(t, db, liveSession("s", u.ID))

	tx := lockSessions(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := b.SessionUser(ctx, "s", now, idleSince)
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.EUnavailable {
		t.Fatalf("SessionUser past its deadline = %v; want an EUnavailable error", err)
	}
	tx.Rollback()
	if _, _, err := b.SessionUser(context.Background(), "s", now, idleSince); err != nil {
		t.Errorf("after the lock went, SessionUser = %v; want the session", err)
	}
}

// TestBatchedRestoresClose: Close stops the workers and may be called twice; a restore
// after it fails at once with an unavailable error (503) rather than hanging, and the
// database it wraps stays open for its opener to close.
func TestBatchedRestoresClose(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t).Migrated(t)
	u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
	mustCreateSession(t, db, liveSession("s", u.ID))
	b, err := store.BatchRestores(db)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second Close is harmless, as sql.DB's is
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := b.SessionUser(context.Background(), "s", now, idleSince)
		done <- err
	}()
	select {
	case err := <-done:
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != auth.EUnavailable {
			t.Errorf("SessionUser after Close = %v; want an EUnavailable error", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("SessionUser after Close waits instead of failing")
	}
	if !sessionLive(t, db, "s") {
		t.Error("after BatchedRestores.Close, the database no longer finds the session")
	}
}

// TestBatchedRestoresIsASessionStore runs a session's whole life through a session
// manager over batched restores: every method besides SessionUser reaches the database.
func TestBatchedRestoresIsASessionStore(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t).Migrated(t)
	b := batchRestores(t, db)
	u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
	m := session.NewManager(b, []byte("a test secret that is long enough for HS256"), time.Hour, time.Hour, time.Now)
	ctx := context.Background()

	tok := testdb.StartSession(t, db, m, u, "test")
	other := testdb.StartSession(t, db, m, u, "other")
	list, err := m.List(ctx, u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d sessions, %v; want 2", len(list), err)
	}
	s := list[0]
	if s.UserAgent != "test" {
		s = list[1]
	}
	if got, _, err := m.Restore(ctx, tok); err != nil || got != u {
		t.Fatalf("Restore = %+v, %v; want %+v", got, err, u)
	}
	if n, err := m.EndOthers(ctx, u.ID, s.ID, events.Origin{}); err != nil || n != 1 {
		t.Fatalf("EndOthers = %d, %v; want 1", n, err)
	}
	if _, _, err := m.Restore(ctx, other); err == nil {
		t.Error("the other session restores after EndOthers")
	}
	if err := m.End(ctx, u.ID, s.ID, events.Origin{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Restore(ctx, tok); err == nil {
		t.Error("the session restores after End")
	}
	if st := b.Stats(); st.Lookups != 3 {
		t.Errorf("stats %+v; want the 3 restores counted", st)
	}
}

// TestBatchRestoresRefusesSQLite: the batch query is PostgreSQL's; SQLite has no round
// trip to share and keeps the plain database.
func TestBatchRestoresRefusesSQLite(t *testing.T) {
	t.Parallel()
	db := testdb.Targets(t)[0].Migrated(t)
	if b, err := store.BatchRestores(db); err == nil {
		b.Close()
		t.Fatal("BatchRestores on SQLite succeeded; want an error")
	}
}

// batchRestores wraps db, closing the wrapper (before db) when the test ends.
func batchRestores(t *testing.T, db *store.DB) *store.BatchedRestores {
	t.Helper()
	b, err := store.BatchRestores(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// postgresWithPool opens a migrated PostgreSQL database with a pool of conns.
func postgresWithPool(t *testing.T, conns int) *store.DB {
	t.Helper()
	o := testdb.Postgres(t).Options(t)
	o.MaxConns = conns
	db := testdb.OpenWith(t, o)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// lockSessions locks the Sessions table in a transaction the caller rolls back; the
// test's end rolls it back too.
func lockSessions(t *testing.T, db *store.DB) *sql.Tx {
	t.Helper()
	tx, err := db.SQL().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec(`LOCK TABLE "Sessions" IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return tx
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
