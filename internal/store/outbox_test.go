package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"authme/internal/login"
	"authme/internal/outbox"
	"authme/internal/store"
	"authme/internal/testdb"
)

// t0 is the time outbox tests start at, on a whole millisecond as the table keeps it.
var t0 = time.UnixMilli(1_796_000_000_000)

func mustEnqueue(t *testing.T, db *store.DB, j outbox.Job) {
	t.Helper()
	if j.Kind == "" {
		j.Kind = "verify-email"
	}
	if err := db.Enqueue(context.Background(), j); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

func mustClaim(t *testing.T, o *store.Outbox, now time.Time, lease time.Duration, n int) []outbox.Job {
	t.Helper()
	jobs, err := o.Claim(context.Background(), now, lease, n)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return jobs
}

func ids(jobs []outbox.Job) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// outboxRow reads what a row keeps once it is done.
func outboxRow(t *testing.T, db *store.DB, id int64) (data, lastError string, notBefore int64) {
	t.Helper()
	err := db.SQL().QueryRow(`SELECT "data", "lastError", "notBefore" FROM "Outbox" WHERE "id" = $1`, id).Scan(&data, &lastError, &notBefore)
	if err != nil {
		t.Fatalf("read outbox row %d: %v", id, err)
	}
	return data, lastError, notBefore
}

func TestOutbox(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()

		t.Run("ClaimReturnsTheJobAsQueued", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ada", "ada@example.com")
			data := map[string]string{"ip": "192.0.2.1", "browser": "Firefox"}
			mustEnqueue(t, db, outbox.Job{Kind: "password-reset", UserID: u.ID, Email: "ada@example.com", Data: data, CreatedAt: t0})
			mustEnqueue(t, db, outbox.Job{Email: "nobody@example.com", CreatedAt: t0})
			jobs := mustClaim(t, db.Outbox(), t0, time.Minute, 10)
			if len(jobs) != 2 {
				t.Fatalf("claimed %d jobs, want 2", len(jobs))
			}
			j := jobs[0]
			if j.Kind != "password-reset" || j.UserID != u.ID || j.Email != "ada@example.com" || !maps.Equal(j.Data, data) ||
				!j.CreatedAt.Equal(t0) || j.Attempts != 1 {
				t.Errorf("claimed %+v, want the queued job on its first attempt", j)
			}
			if j := jobs[1]; j.UserID != 0 || len(j.Data) != 0 {
				t.Errorf("job without an account: %+v, want UserID 0 and no data", j)
			}
		})

		t.Run("EnqueueInATransactionCommitsWithIt", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			enqueue := func(kind string, fail error) error {
				return db.InTx(ctx, func(tx login.Tx) error {
					if err := tx.(*store.Tx).Enqueue(ctx, outbox.Job{Kind: kind, CreatedAt: t0}); err != nil {
						return err
					}
					return fail
				})
			}
			if err := enqueue("rolled-back", errors.New("abort")); err == nil {
				t.Fatal("InTx returned nil for an aborted transaction")
			}
			if err := enqueue("committed", nil); err != nil {
				t.Fatalf("InTx: %v", err)
			}
			jobs := mustClaim(t, db.Outbox(), t0, time.Minute, 10)
			if len(jobs) != 1 || jobs[0].Kind != "committed" {
				t.Errorf("claimed %+v, want only the committed job", jobs)
			}
		})

		t.Run("EnqueueRefusesAJobWithoutKindOrTime", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			for _, j := range []outbox.Job{{CreatedAt: t0}, {Kind: "verify-email"}} {
				if err := db.Enqueue(ctx, j); err == nil {
					t.Errorf("Enqueue(%+v) = nil, want an error", j)
				}
			}
		})

		t.Run("ClaimTakesDueJobsByNotBeforeThenID", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0.Add(2 * time.Second)}) // 1
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0.Add(time.Second)})     // 2
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0.Add(time.Second)})     // 3
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0})                      // 4
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0.Add(time.Hour)})       // 5: not due
			o := db.Outbox()
			if got := ids(mustClaim(t, o, t0.Add(2*time.Second), time.Minute, 3)); !slices.Equal(got, []int64{4, 2, 3}) {
				t.Errorf("first claim %v, want [4 2 3]", got)
			}
			if got := ids(mustClaim(t, o, t0.Add(2*time.Second), time.Minute, 3)); !slices.Equal(got, []int64{1}) {
				t.Errorf("second claim %v, want [1]: the rest are leased or not due", got)
			}
		})

		t.Run("ExpiredLeaseMakesAJobClaimableAgain", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			o := db.Outbox()
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0})
			first := mustClaim(t, o, t0, time.Minute, 10)
			if got := mustClaim(t, o, t0.Add(59*time.Second), time.Minute, 10); len(got) != 0 {
				t.Fatalf("claimed %v while the lease holds", ids(got))
			}
			second := mustClaim(t, o, t0.Add(time.Minute), time.Minute, 10)
			if len(second) != 1 || second[0].ID != first[0].ID || second[0].Attempts != 2 {
				t.Fatalf("after the lease: claimed %+v, want job %d on its second attempt", second, first[0].ID)
			}
			if err := o.MarkSent(ctx, first[0], t0.Add(time.Minute)); !errors.Is(err, outbox.ErrClaimLost) {
				t.Errorf("MarkSent by the expired claim = %v, want ErrClaimLost", err)
			}
			if err := o.MarkSent(ctx, second[0], t0.Add(time.Minute)); err != nil {
				t.Errorf("MarkSent by the current claim: %v", err)
			}
		})

		t.Run("OutcomesAreRecorded", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			o := db.Outbox()
			for range 4 {
				mustEnqueue(t, db, outbox.Job{Email: "a@example.com", Data: map[string]string{"ip": "192.0.2.1"}, CreatedAt: t0})
			}
			if n, err := o.CountPending(ctx); n != 4 || err != nil {
				t.Fatalf("CountPending = %d, %v; want 4", n, err)
			}
			jobs := mustClaim(t, o, t0, time.Minute, 10)
			at := t0.Add(time.Second)
			for _, err := range []error{
				o.MarkSent(ctx, jobs[0], at),
				o.Retry(ctx, jobs[1], t0.Add(time.Hour), "smtp: 451 later"),
				o.Fail(ctx, jobs[2], at, "smtp: 550 no such user"),
				o.Drop(ctx, jobs[3], at),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			cases := []struct {
				id              int64
				data, lastError string
				notBefore       int64
			}{
				{jobs[0].ID, "{}", "", t0.UnixMilli()},
				{jobs[1].ID, `{"ip":"192.0.2.1"}`, "smtp: 451 later", t0.Add(time.Hour).UnixMilli()},
				{jobs[2].ID, `{"ip":"192.0.2.1"}`, "smtp: 550 no such user", t0.UnixMilli()},
				{jobs[3].ID, "{}", "", t0.UnixMilli()},
			}
			for _, c := range cases {
				data, lastError, notBefore := outboxRow(t, db, c.id)
				if data != c.data || lastError != c.lastError || notBefore != c.notBefore {
					t.Errorf("row %d: data %s, last error %q, not before %d; want %s, %q, %d", c.id, data, lastError, notBefore, c.data, c.lastError, c.notBefore)
				}
			}
			if n, err := o.CountPending(ctx); n != 1 || err != nil {
				t.Errorf("CountPending = %d, %v; want 1 (the retried job)", n, err)
			}
			if got := mustClaim(t, o, t0.Add(time.Hour), time.Minute, 10); !slices.Equal(ids(got), []int64{jobs[1].ID}) {
				t.Errorf("claimed %v at the retry time, want only the retried job %d", ids(got), jobs[1].ID)
			}
			if err := o.MarkSent(ctx, jobs[0], at); !errors.Is(err, outbox.ErrClaimLost) {
				t.Errorf("MarkSent of a sent job = %v, want ErrClaimLost", err)
			}
			if err := o.Retry(ctx, outbox.Job{ID: 999, Attempts: 1}, at, ""); !errors.Is(err, outbox.ErrClaimLost) {
				t.Errorf("Retry of a missing job = %v, want ErrClaimLost", err)
			}
		})

		t.Run("PurgeDeletesOnlyOldDoneRows", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			o := db.Outbox()
			for range 5 {
				mustEnqueue(t, db, outbox.Job{CreatedAt: t0})
			}
			jobs := mustClaim(t, o, t0, time.Minute, 10)
			old, recent := t0.Add(time.Second), t0.Add(time.Hour)
			for _, err := range []error{
				o.MarkSent(ctx, jobs[0], old),
				o.Fail(ctx, jobs[1], old, "x"),
				o.Drop(ctx, jobs[2], old),
				o.MarkSent(ctx, jobs[3], recent),
				o.Retry(ctx, jobs[4], old, "x"), // pending: kept however old
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n, err := o.Purge(ctx, t0.Add(time.Minute)); n != 3 || err != nil {
				t.Fatalf("Purge = %d, %v; want the 3 old done rows", n, err)
			}
			var left []int64
			rows, err := db.SQL().Query(`SELECT "id" FROM "Outbox" ORDER BY "id"`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				left = append(left, id)
			}
			if want := []int64{jobs[3].ID, jobs[4].ID}; !slices.Equal(left, want) {
				t.Errorf("left %v, want %v", left, want)
			}
		})

		t.Run("RowWithUnreadableDataIsFailedNotReturned", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			if _, err := db.SQL().Exec(`INSERT INTO "Outbox" ("kind", "data", "createdAt", "notBefore") VALUES ('verify-email', 'not json', 0, 0)`); err != nil {
				t.Fatal(err)
			}
			mustEnqueue(t, db, outbox.Job{CreatedAt: t0})
			if got := ids(mustClaim(t, db.Outbox(), t0, time.Minute, 10)); !slices.Equal(got, []int64{2}) {
				t.Errorf("claimed %v, want only the readable job 2", got)
			}
			if _, lastError, _ := outboxRow(t, db, 1); lastError != "data is not a JSON object of strings" {
				t.Errorf("unreadable row's last error %q, want it failed with a reason", lastError)
			}
			if n, err := db.Outbox().CountPending(ctx); n != 1 || err != nil {
				t.Errorf("CountPending = %d, %v; want 1", n, err)
			}
		})

		t.Run("DeletingTheAccountDeletesItsMail", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ada", "ada@example.com")
			mustEnqueue(t, db, outbox.Job{UserID: u.ID, CreatedAt: t0})
			if _, err := db.SQL().Exec(`DELETE FROM "Users" WHERE "id" = $1`, u.ID); err != nil {
				t.Fatal(err)
			}
			if n, err := db.Outbox().CountPending(ctx); n != 0 || err != nil {
				t.Errorf("CountPending = %d, %v; want 0", n, err)
			}
		})

		t.Run("ConcurrentClaimersNeverShareAJob", func(t *testing.T) {
			t.Parallel()
			opts := tg.Options(t)
			first := testdb.OpenWith(t, opts)
			if _, err := first.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			second := testdb.OpenWith(t, opts) // another instance on the same database
			const jobs = 200
			for range jobs {
				mustEnqueue(t, first, outbox.Job{CreatedAt: t0})
			}
			var mu sync.Mutex
			claimed := map[int64]int{}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				o := []*store.DB{first, second}[i%2].Outbox()
				wg.Go(func() {
					for {
						got, err := o.Claim(ctx, t0, time.Hour, 7)
						if err != nil {
							errs <- err
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, j := range got {
							claimed[j.ID]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("Claim: %v", err)
			}
			// A claimer that found every remaining row locked by another one stops early;
			// whatever is left (nothing, when all went well) is claimed now.
			for _, j := range mustClaim(t, first.Outbox(), t0, time.Hour, jobs) {
				claimed[j.ID]++
			}
			var twice []string
			for id, n := range claimed {
				if n != 1 {
					twice = append(twice, fmt.Sprintf("%d×%d", id, n))
				}
			}
			if len(claimed) != jobs || len(twice) > 0 {
				t.Errorf("%d of %d jobs claimed; claimed more than once: %v", len(claimed), jobs, twice)
			}
		})
	})
}

// deliverFunc is an outbox.Deliverer from a function.
type deliverFunc func(ctx context.Context, j outbox.Job) error

func (f deliverFunc) Deliver(ctx context.Context, j outbox.Job) error { return f(ctx, j) }

// TestOutboxWorkers runs two Workers, as two instances would, over one database: every
// queued mail is delivered exactly once and then marked sent.
func TestOutboxWorkers(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		opts := tg.Options(t)
		first := testdb.OpenWith(t, opts)
		if _, err := first.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		second := testdb.OpenWith(t, opts)
		const jobs = 60
		now := time.Now()
		for range jobs {
			mustEnqueue(t, first, outbox.Job{CreatedAt: now})
		}
		delivered := make(chan int64, 2*jobs)
		d := deliverFunc(func(_ context.Context, j outbox.Job) error { delivered <- j.ID; return nil })
		runCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, db := range []*store.DB{first, second} {
			w := outbox.NewWorker(db.Outbox(), d, outbox.Options{Poll: 10 * time.Millisecond, Batch: 4})
			wg.Go(func() { w.Run(runCtx) })
		}
		count := map[int64]int{}
		for range jobs {
			count[<-delivered]++
		}
		cancel()
		wg.Wait() // each Worker records the outcome of its last delivery before it returns
		close(delivered)
		for id := range delivered {
			count[id]++
		}
		for id, n := range count {
			if n != 1 {
				t.Errorf("job %d delivered %d times", id, n)
			}
		}
		if len(count) != jobs {
			t.Errorf("%d of %d jobs delivered", len(count), jobs)
		}
		if n, err := first.Outbox().CountPending(ctx); n != 0 || err != nil {
			t.Errorf("CountPending = %d, %v; want every job marked sent", n, err)
		}
	})
}
