package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults for the zero fields of Options.
const (
	DefaultPoll        = time.Second
	DefaultLease       = 2 * time.Minute
	DefaultBatch       = 10
	DefaultMaxAttempts = 12
	DefaultRetention   = 7 * 24 * time.Hour
	// With DefaultMaxAttempts these retry a mail for about three and a half hours.
	DefaultFirstRetry = 10 * time.Second
	DefaultRetryLimit = time.Hour
)

// purgeEvery is how often the Worker deletes done rows older than the retention.
const purgeEvery = time.Hour

// maxErrorLen bounds the error text stored in a row (its column holds 500 characters).
const maxErrorLen = 300

// Outcomes passed to Options.Observe.
const (
	// Queued counts each job once, when a sender first claims it: across instances every
	// queued row is counted once, whichever instance sends it. queued − (sent + failed +
	// dropped) is what is being sent or waiting for a retry.
	Queued  = "queued"
	Sent    = "sent"
	Failed  = "failed"  // refused for good, or given up after MaxAttempts
	Retried = "retried" // an attempt failed; the job is due again later
	Dropped = "dropped" // the deliverer had nothing to send (ErrNothingToSend)
)

// Options tunes a Worker; zero fields take the defaults above.
type Options struct {
	Poll        time.Duration // how often to look for due jobs when not notified
	Lease       time.Duration // how long a claim holds a job before another sender may take it
	Batch       int           // jobs claimed at once
	MaxAttempts int           // attempts before a job is marked failed
	Retention   time.Duration // how long done rows are kept
	// Backoff is the wait before the next attempt after failed attempts (1, 2, …);
	// ExponentialBackoff(DefaultFirstRetry, DefaultRetryLimit, Jitter) by default.
	Backoff func(failed int) time.Duration
	Jitter  func() float64   // uniform in [0, 1), for the default Backoff; math/rand/v2 by default
	Now     func() time.Time // time.Now by default
	Log     *slog.Logger     // discarded by default
	// Observe is told every outcome (Queued, Sent, Failed, Retried, Dropped), for metrics.
	Observe func(outcome string)
}

// ExponentialBackoff waits first after one failed attempt and twice as long after each
// further one, at most limit; jitter takes up to a quarter off each wait, so that mail
// that failed together (a mail server outage) does not retry together.
func ExponentialBackoff(first, limit time.Duration, jitter func() float64) func(failed int) time.Duration {
	return func(failed int) time.Duration {
		d := first
		for i := 1; i < failed && d < limit; i++ {
			d *= 2
		}
		d = min(d, limit)
		return d - time.Duration(jitter()*float64(d/4))
	}
}

// Worker sends the outbox's due jobs until its context ends. Several Workers, in one
// instance or many, may share a Store: a job is claimed by one at a time.
type Worker struct {
	st        Store
	d         Deliverer
	o         Options
	wake      chan struct{}
	lastPurge time.Time
}

// NewWorker returns a Worker that sends st's jobs through d.
func NewWorker(st Store, d Deliverer, o Options) *Worker {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Backoff == nil {
		o.Backoff = ExponentialBackoff(DefaultFirstRetry, DefaultRetryLimit, o.Jitter)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Observe == nil {
		o.Observe = func(string) {}
	}
	return &Worker{st: st, d: d, o: o, wake: make(chan struct{}, 1)}
}

// Notify wakes the Worker to look for due jobs now, instead of at its next poll: call it
// after committing a transaction that queued mail. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Run sends due jobs until ctx ends; call it once per Worker. A delivery under way when ctx ends is cancelled and
// its job made due again at once, for the next sender.
func (w *Worker) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if w.sendDue(ctx) == w.o.Batch {
			continue // a full batch: more may be due
		}
		t := time.NewTimer(w.o.Poll)
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// sendDue claims one batch of due jobs and delivers them one after another (mail is rare
// and a batch is small), and returns how many it claimed.
func (w *Worker) sendDue(ctx context.Context) int {
	now := w.o.Now()
	w.purge(ctx, now)
	jobs, err := w.st.Claim(ctx, now, w.o.Lease, w.o.Batch)
	if err != nil {
		if ctx.Err() == nil {
			w.o.Log.Error("outbox: claim mail to send", "err", err)
		}
		return 0
	}
	// Every delivery ends a tenth of the lease before it runs out, leaving time to record
	// the outcome (and room for clocks that differ between instances), so that no other
	// sender can claim a job while this one may still be sending it. A delivery starts
	// only with a quarter of the lease left.
	stopBy := now.Add(w.o.Lease - w.o.Lease/10)
	for i, j := range jobs {
		if j.Attempts == 1 {
			w.o.Observe(Queued)
		}
		if ctx.Err() != nil || stopBy.Sub(w.o.Now()) < w.o.Lease/4 {
			w.release(ctx, jobs[i:])
			break
		}
		if j.Attempts > w.o.MaxAttempts {
			// Claimed again after senders died while sending it: do not try once more.
			w.settle(ctx, j, Permanent(fmt.Errorf("gave up after %d attempts", j.Attempts-1)))
			continue
		}
		err := w.deliver(ctx, j, stopBy)
		if err != nil && ctx.Err() != nil {
			w.release(ctx, jobs[i:])
			break
		}
		w.settle(ctx, j, err)
	}
	return len(jobs)
}

// deliver hands j to the Deliverer, turning a panic into an error so that one bad job
// cannot stop the sender.
func (w *Worker) deliver(ctx context.Context, j Job, stopBy time.Time) (err error) {
	ctx, cancel := context.WithTimeout(ctx, stopBy.Sub(w.o.Now()))
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			// The panic value could quote what was being sent; log it only when the
			// runtime made it (nil pointer, index out of range…).
			what := fmt.Sprintf("%T", v)
			if re, ok := v.(runtime.Error); ok {
				what = re.Error()
			}
			w.o.Log.Error("outbox: deliverer panicked", "job", j.ID, "kind", j.Kind, "panic", what, "stack", string(debug.Stack()))
			err = errors.New("deliverer panicked")
		}
	}()
	return w.d.Deliver(ctx, j)
}

// settle records the outcome of delivering j, which failed with err (nil when sent).
func (w *Worker) settle(ctx context.Context, j Job, err error) {
	// The outcome is recorded even when ctx ends now: a sent mail must be marked sent.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := w.o.Now()
	var outcome string
	var serr error
	switch {
	case err == nil:
		outcome, serr = Sent, w.st.MarkSent(ctx, j, now)
		w.o.Log.Info("outbox: mail sent", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	case errors.Is(err, ErrNothingToSend):
		outcome, serr = Dropped, w.st.Drop(ctx, j, now)
		w.o.Log.Debug("outbox: nothing to send", "job", j.ID, "kind", j.Kind)
	case IsPermanent(err) || j.Attempts >= w.o.MaxAttempts:
		text := ErrorText(err)
		outcome, serr = Failed, w.st.Fail(ctx, j, now, text)
		w.o.Log.Error("outbox: mail failed for good", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", text)
	default:
		text := ErrorText(err)
		next := now.Add(w.o.Backoff(j.Attempts))
		outcome, serr = Retried, w.st.Retry(ctx, j, next, text)
		w.o.Log.Warn("outbox: mail not sent, will retry", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts,
			"retryAt", next.UTC().Format(time.RFC3339), "err", text)
	}
	w.o.Observe(outcome)
	switch {
	case errors.Is(serr, ErrClaimLost):
		w.o.Log.Warn("outbox: job was claimed by another sender meanwhile", "job", j.ID, "kind", j.Kind, "outcome", outcome)
	case serr != nil:
		// Unrecorded, the job is claimed again once its lease runs out.
		w.o.Log.Error("outbox: record outcome", "job", j.ID, "kind", j.Kind, "outcome", outcome, "err", serr)
	}
}

// release makes jobs that were claimed but not attempted due again at once.
func (w *Worker) release(ctx context.Context, jobs []Job) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := w.o.Now()
	for _, j := range jobs {
		if err := w.st.Retry(ctx, j, now, "not attempted: sender stopped or out of time"); err != nil && !errors.Is(err, ErrClaimLost) {
			w.o.Log.Error("outbox: release job", "job", j.ID, "err", err)
		}
	}
}

// purge deletes old done rows, at most once per purgeEvery.
func (w *Worker) purge(ctx context.Context, now time.Time) {
	if !w.lastPurge.IsZero() && now.Sub(w.lastPurge) < purgeEvery {
		return
	}
	w.lastPurge = now
	n, err := w.st.Purge(ctx, now.Add(-w.o.Retention))
	if err != nil {
		if ctx.Err() == nil {
			w.o.Log.Error("outbox: purge done mail", "err", err)
		}
		return
	}
	if n > 0 {
		w.o.Log.Debug("outbox: purged done mail", "count", n)
	}
}

// ErrorText is err's text as stored in a row: one line of printable characters, at most
// a few hundred bytes.
func ErrorText(err error) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(err.Error(), "?"))
	if len(s) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
