package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a time that moves only when a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeRow is one row of fakeStore.
type fakeRow struct {
	job                    Job
	notBefore, lockedUntil time.Time
	state                  string // "", "sent", "failed", "dropped"
	lastError              string
}

// fakeStore is an outbox.Store in memory, with the claim rules of the real ones.
type fakeStore struct {
	mu      sync.Mutex
	rows    []*fakeRow
	claims  chan struct{} // told of every Claim, when not nil
	purged  []time.Time
	failing error // when set, Claim fails with it
}

func (s *fakeStore) add(j Job) *fakeRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	j.ID = int64(len(s.rows) + 1)
	r := &fakeRow{job: j, notBefore: j.CreatedAt}
	s.rows = append(s.rows, r)
	return r
}

func (s *fakeStore) row(id int64) fakeRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.rows[id-1]
}

func (s *fakeStore) Claim(_ context.Context, now time.Time, lease time.Duration, n int) ([]Job, error) {
	if s.claims != nil {
		defer func() { s.claims <- struct{}{} }()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing != nil {
		return nil, s.failing
	}
	var due []*fakeRow
	for _, r := range s.rows {
		if r.state == "" && !r.notBefore.After(now) && !r.lockedUntil.After(now) {
			due = append(due, r)
		}
	}
	slices.SortStableFunc(due, func(a, b *fakeRow) int { return a.notBefore.Compare(b.notBefore) })
	var out []Job
	for _, r := range due[:min(n, len(due))] {
		r.lockedUntil = now.Add(lease)
		r.job.Attempts++
		out = append(out, r.job)
	}
	return out, nil
}

func (s *fakeStore) settle(j Job, fn func(r *fakeRow)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[j.ID-1]
	if r.state != "" || r.job.Attempts != j.Attempts {
		return ErrClaimLost
	}
	r.lockedUntil = time.Time{}
	fn(r)
	return nil
}

func (s *fakeStore) MarkSent(_ context.Context, j Job, _ time.Time) error {
	return s.settle(j, func(r *fakeRow) { r.state, r.job.Data = "sent", nil })
}

func (s *fakeStore) Retry(_ context.Context, j Job, notBefore time.Time, lastError string) error {
	return s.settle(j, func(r *fakeRow) { r.notBefore, r.lastError = notBefore, lastError })
}

func (s *fakeStore) Fail(_ context.Context, j Job, _ time.Time, lastError string) error {
	return s.settle(j, func(r *fakeRow) { r.state, r.lastError = "failed", lastError })
}

func (s *fakeStore) Drop(_ context.Context, j Job, _ time.Time) error {
	return s.settle(j, func(r *fakeRow) { r.state, r.job.Data = "dropped", nil })
}

func (s *fakeStore) Purge(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purged = append(s.purged, before)
	return 0, nil
}

// deliverFunc is a Deliverer from a function.
type deliverFunc func(ctx context.Context, j Job) error

func (f deliverFunc) Deliver(ctx context.Context, j Job) error { return f(ctx, j) }

// outcomes records what a Worker observes.
type outcomes struct {
	mu   sync.Mutex
	list []string
}

func (o *outcomes) observe(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, s)
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.list, ",")
}

// setup returns a Worker over a fresh fake store, with a clock that stands still and no
// jitter.
func setup(t *testing.T, d Deliverer, o Options) (*Worker, *fakeStore, *clock, *outcomes) {
	t.Helper()
	st, clk, obs := &fakeStore{}, newClock(), &outcomes{}
	o.Now, o.Jitter, o.Observe = clk.Now, func() float64 { return 0 }, obs.observe
	return NewWorker(st, d, o), st, clk, obs
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		failed int
		jitter float64
		want   time.Duration
	}{
		{"FirstRetryAfterTenSeconds", 1, 0, 10 * time.Second},
		{"DoublesEachTime", 4, 0, 80 * time.Second},
		{"StopsAtTheLimit", 10, 0, time.Hour},
		{"NeverOverflowsPastTheLimit", 200, 0, time.Hour},
		{"JitterTakesUpToAQuarterOff", 2, 0.5, 20*time.Second - 2500*time.Millisecond},
		{"JitterAtTheLimitStaysBelowIt", 12, 0.999, time.Hour - time.Duration(0.999*float64(15*time.Minute))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := ExponentialBackoff(DefaultFirstRetry, DefaultRetryLimit, func() float64 { return c.jitter })
			if got := b(c.failed); got != c.want {
				t.Errorf("backoff after %d failures with jitter %v = %v, want %v", c.failed, c.jitter, got, c.want)
			}
		})
	}
}

func TestWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("SentJobIsMarkedSentAndCounted", func(t *testing.T) {
		t.Parallel()
		var got []Job
		w, st, clk, obs := setup(t, deliverFunc(func(_ context.Context, j Job) error { got = append(got, j); return nil }), Options{})
		st.add(Job{Kind: "password-reset", Email: "a@example.com", UserID: 7, CreatedAt: clk.Now(), Data: map[string]string{"ip": "192.0.2.1"}})
		if n := w.sendDue(ctx); n != 1 {
			t.Fatalf("sendDue claimed %d, want 1", n)
		}
		if len(got) != 1 || got[0].Email != "a@example.com" || got[0].Data["ip"] != "192.0.2.1" || got[0].Attempts != 1 {
			t.Fatalf("delivered %+v, want the queued job on its first attempt", got)
		}
		if r := st.row(1); r.state != "sent" {
			t.Errorf("row state %q, want sent", r.state)
		}
		if obs.String() != "queued,sent" {
			t.Errorf("observed %q, want queued,sent", obs)
		}
	})

	t.Run("TransientErrorsRetryOnScheduleThenFailAfterMaxAttempts", func(t *testing.T) {
		t.Parallel()
		w, st, clk, obs := setup(t, deliverFunc(func(context.Context, Job) error { return errors.New("smtp: 451 try again later") }), Options{})
		st.add(Job{Kind: "verify-email", Email: "a@example.com", CreatedAt: clk.Now()})
		var waits []time.Duration
		for attempt := 1; attempt <= DefaultMaxAttempts; attempt++ {
			if n := w.sendDue(ctx); n != 1 {
				t.Fatalf("attempt %d: claimed %d, want 1", attempt, n)
			}
			r := st.row(1)
			if r.state != "" {
				if attempt != DefaultMaxAttempts || r.state != "failed" {
					t.Fatalf("attempt %d left the row %q", attempt, r.state)
				}
				break
			}
			if w.sendDue(ctx) != 0 {
				t.Fatalf("attempt %d: the job was claimed again before its retry time", attempt)
			}
			wait := r.notBefore.Sub(clk.Now())
			waits = append(waits, wait)
			clk.Advance(wait)
		}
		want := []time.Duration{10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600}
		for i := range want {
			want[i] *= time.Second
		}
		if !slices.Equal(waits, want) {
			t.Errorf("waits %v, want %v", waits, want)
		}
		r := st.row(1)
		if r.state != "failed" || r.job.Attempts != DefaultMaxAttempts || r.lastError != "smtp: 451 try again later" {
			t.Errorf("row %q after %d attempts, last error %q; want failed after %d", r.state, r.job.Attempts, r.lastError, DefaultMaxAttempts)
		}
		want2 := "queued" + strings.Repeat(",retried", DefaultMaxAttempts-1) + ",failed"
		if obs.String() != want2 {
			t.Errorf("observed %q, want %q", obs, want2)
		}
	})

	t.Run("PermanentErrorFailsAtOnce", func(t *testing.T) {
		t.Parallel()
		w, st, clk, obs := setup(t, deliverFunc(func(context.Context, Job) error {
			return fmt.Errorf("send: %w", Permanent(errors.New("smtp: 550 no such mailbox")))
		}), Options{})
		st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		w.sendDue(ctx)
		if r := st.row(1); r.state != "failed" || r.lastError != "send: smtp: 550 no such mailbox" {
			t.Errorf("row %q, last error %q; want failed with the error", r.state, r.lastError)
		}
		if obs.String() != "queued,failed" {
			t.Errorf("observed %q, want queued,failed", obs)
		}
	})

	t.Run("NothingToSendDropsTheJob", func(t *testing.T) {
		t.Parallel()
		w, st, clk, obs := setup(t, deliverFunc(func(context.Context, Job) error {
			return fmt.Errorf("no account for that address: %w", ErrNothingToSend)
		}), Options{})
		st.add(Job{Kind: "password-reset", CreatedAt: clk.Now(), Data: map[string]string{"ip": "192.0.2.1"}})
		w.sendDue(ctx)
		if r := st.row(1); r.state != "dropped" || r.job.Data != nil {
			t.Errorf("row %q with data %v; want dropped, its data gone", r.state, r.job.Data)
		}
		if obs.String() != "queued,dropped" {
			t.Errorf("observed %q, want queued,dropped", obs)
		}
	})

	t.Run("PanicIsRetriedAndTheNextJobStillSent", func(t *testing.T) {
		t.Parallel()
		w, st, clk, obs := setup(t, deliverFunc(func(_ context.Context, j Job) error {
			if j.Kind == "bad" {
				panic("template exploded with secret-token-123")
			}
			return nil
		}), Options{})
		st.add(Job{Kind: "bad", CreatedAt: clk.Now()})
		st.add(Job{Kind: "good", CreatedAt: clk.Now()})
		w.sendDue(ctx)
		if r := st.row(1); r.state != "" || r.lastError != "deliverer panicked" || !r.notBefore.After(clk.Now()) {
			t.Errorf("panicking job: state %q, last error %q; want due again later, error without the panic's text", r.state, r.lastError)
		}
		if r := st.row(2); r.state != "sent" {
			t.Errorf("next job %q, want sent", r.state)
		}
		if obs.String() != "queued,retried,queued,sent" {
			t.Errorf("observed %q", obs)
		}
	})

	t.Run("StoredErrorIsOneShortLine", func(t *testing.T) {
		t.Parallel()
		long := "smtp: 554\r\n" + strings.Repeat("é", 400)
		w, st, clk, _ := setup(t, deliverFunc(func(context.Context, Job) error { return errors.New(long) }), Options{})
		st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		w.sendDue(ctx)
		got := st.row(1).lastError
		if len(got) > maxErrorLen+len("…") || strings.ContainsAny(got, "\r\n") || !strings.HasPrefix(got, "smtp: 554  é") || !strings.HasSuffix(got, "é…") {
			t.Errorf("stored error %q (%d bytes), want one line of at most %d bytes, cut between characters", got, len(got), maxErrorLen)
		}
	})

	t.Run("JobClaimedAgainPastMaxAttemptsFailsWithoutDelivery", func(t *testing.T) {
		t.Parallel()
		delivered := 0
		w, st, clk, obs := setup(t, deliverFunc(func(context.Context, Job) error { delivered++; return nil }), Options{MaxAttempts: 3})
		r := st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		r.job.Attempts = 3 // three senders died while sending it
		w.sendDue(ctx)
		if got := st.row(1); got.state != "failed" || delivered != 0 || got.lastError != "gave up after 3 attempts" {
			t.Errorf("row %q (%q), %d deliveries; want failed without a delivery", got.state, got.lastError, delivered)
		}
		if obs.String() != "failed" {
			t.Errorf("observed %q, want failed", obs)
		}
	})

	t.Run("JobsLeftWhenTheLeaseRunsShortAreReleasedUnattempted", func(t *testing.T) {
		t.Parallel()
		var delivered []int64
		var clk *clock
		w, st, clk, _ := setup(t, deliverFunc(func(_ context.Context, j Job) error {
			delivered = append(delivered, j.ID)
			clk.Advance(DefaultLease * 7 / 10) // a slow mail server
			return nil
		}), Options{})
		for range 3 {
			st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		}
		w.sendDue(ctx)
		if !slices.Equal(delivered, []int64{1}) {
			t.Fatalf("delivered %v, want only the first job before the lease ran short", delivered)
		}
		for id := int64(2); id <= 3; id++ {
			r := st.row(id)
			if r.state != "" || !r.lockedUntil.IsZero() || r.notBefore.After(clk.Now()) {
				t.Errorf("job %d: state %q, locked until %v, due %v; want released and due now", id, r.state, r.lockedUntil, r.notBefore)
			}
		}
		if n := w.sendDue(ctx); n != 2 {
			t.Errorf("next round claimed %d, want the 2 released jobs", n)
		}
	})

	t.Run("ShutdownDuringDeliveryReleasesTheJob", func(t *testing.T) {
		t.Parallel()
		runCtx, cancel := context.WithCancel(ctx)
		w, st, clk, obs := setup(t, deliverFunc(func(ctx context.Context, _ Job) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}), Options{})
		st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		w.sendDue(runCtx)
		if r := st.row(1); r.state != "" || r.notBefore.After(clk.Now()) || !r.lockedUntil.IsZero() {
			t.Errorf("row %q, due %v, locked until %v; want due again at once", r.state, r.notBefore, r.lockedUntil)
		}
		if obs.String() != "queued" {
			t.Errorf("observed %q, want only queued", obs)
		}
	})

	t.Run("ClaimErrorIsSurvived", func(t *testing.T) {
		t.Parallel()
		w, st, clk, _ := setup(t, deliverFunc(func(context.Context, Job) error { return nil }), Options{})
		st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		st.failing = errors.New("database down")
		if n := w.sendDue(ctx); n != 0 {
			t.Fatalf("claimed %d while the store fails", n)
		}
		st.failing = nil
		if n := w.sendDue(ctx); n != 1 || st.row(1).state != "sent" {
			t.Errorf("after the store came back: claimed %d, row %q; want it sent", n, st.row(1).state)
		}
	})

	t.Run("PurgesOncePerHourWithTheRetention", func(t *testing.T) {
		t.Parallel()
		w, st, clk, _ := setup(t, deliverFunc(func(context.Context, Job) error { return nil }), Options{})
		start := clk.Now()
		w.sendDue(ctx)
		clk.Advance(30 * time.Minute)
		w.sendDue(ctx)
		clk.Advance(30 * time.Minute)
		w.sendDue(ctx)
		want := []time.Time{start.Add(-DefaultRetention), start.Add(time.Hour - DefaultRetention)}
		if !slices.Equal(st.purged, want) {
			t.Errorf("purged before %v, want %v", st.purged, want)
		}
	})
}

func TestRun(t *testing.T) {
	t.Parallel()

	t.Run("NotifyWakesItBeforeThePoll", func(t *testing.T) {
		t.Parallel()
		sent := make(chan int64, 1)
		w, st, clk, _ := setup(t, deliverFunc(func(_ context.Context, j Job) error { sent <- j.ID; return nil }), Options{Poll: time.Hour})
		st.claims = make(chan struct{}, 10)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		<-st.claims // the first look, at start, found nothing; the next poll is an hour away
		st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		w.Notify()
		if id := <-sent; id != 1 {
			t.Errorf("sent job %d, want 1", id)
		}
		cancel()
		<-done
	})

	t.Run("FullBatchIsFollowedAtOnceByTheNext", func(t *testing.T) {
		t.Parallel()
		sent := make(chan int64, 5)
		w, st, clk, _ := setup(t, deliverFunc(func(_ context.Context, j Job) error { sent <- j.ID; return nil }), Options{Poll: time.Hour, Batch: 2})
		for range 5 {
			st.add(Job{Kind: "verify-email", CreatedAt: clk.Now()})
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		for want := int64(1); want <= 5; want++ {
			if id := <-sent; id != want {
				t.Errorf("sent %d, want %d", id, want)
			}
		}
		cancel()
		<-done
	})

	t.Run("NotifyNeverBlocks", func(t *testing.T) {
		t.Parallel()
		w, _, _, _ := setup(t, deliverFunc(func(context.Context, Job) error { return nil }), Options{})
		for range 3 {
			w.Notify() // nobody is running the worker
		}
	})
}
