package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Sink writes an aggregated row: it adds e.Count to the row of (user, kind, address)
// at e.At, the start of its window, or inserts it.
type Sink interface {
	RecordAggregated(ctx context.Context, e Event) error
}

// AggregatorOptions tune an Aggregator; zero values pick the defaults.
type AggregatorOptions struct {
	Queue      int           // observations waiting to be aggregated; DefaultQueue
	MaxPending int           // rows held between writes; DefaultMaxPending
	Window     time.Duration // one row per (user, kind, address) per window; time.Minute
	Flush      time.Duration // how often held rows are written; DefaultFlush
	Now        func() time.Time
	Log        *slog.Logger // write failures are warned here
}

// Defaults of AggregatorOptions.
const (
	DefaultQueue      = 4096
	DefaultMaxPending = 10000
	DefaultFlush      = 5 * time.Second
)

// Aggregator records failed and throttled log-ins off the request path: Observe puts
// an attempt on a bounded queue without waiting, and Run folds the queue into one row
// per (user, kind, address) per window, written every Flush. A flood of failures thus
// costs the request path no I/O and the owner's history one row a minute per address;
// what does not fit is dropped and counted, never waited for.
type Aggregator struct {
	queue      chan Event
	sink       Sink
	log        *slog.Logger
	now        func() time.Time
	window     time.Duration
	flushEvery time.Duration
	maxPending int
	dropped    atomic.Int64
	syncs      chan chan struct{}
}

// NewAggregator returns an Aggregator writing to sink; call Run to start it.
func NewAggregator(sink Sink, o AggregatorOptions) *Aggregator {
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.Flush <= 0 {
		o.Flush = DefaultFlush
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Aggregator{queue: make(chan Event, o.Queue), sink: sink, log: o.Log, now: o.Now,
		window: o.Window, flushEvery: o.Flush, maxPending: o.MaxPending, syncs: make(chan chan struct{})}
}

// Observe queues an attempt (Kind LoginFailed or LoginThrottled, with UserID, Address
// and UserAgent) and returns at once: when the queue is full the attempt is dropped and
// counted. It does no I/O, so the timing of a failure does not depend on the database.
func (a *Aggregator) Observe(e Event) {
	if e.At.IsZero() {
		e.At = a.now()
	}
	select {
	case a.queue <- e:
	default:
		a.dropped.Add(1)
	}
}

// Dropped counts the attempts not recorded: the queue or the held rows were full.
func (a *Aggregator) Dropped() int64 { return a.dropped.Load() }

// key is one aggregated row.
type key struct {
	user    int64
	kind    string
	address string
	window  int64 // start of the window, Unix ms
}

// Run aggregates and writes until ctx ends, then writes what it holds (with a fresh
// context: the rows are the owner's history, not the request's).
func (a *Aggregator) Run(ctx context.Context) {
	t := time.NewTicker(a.flushEvery)
	defer t.Stop()
	pending := map[key]*Event{}
	for {
		select {
		case e := <-a.queue:
			a.add(pending, e)
		case <-t.C:
			a.flush(ctx, pending)
		case done := <-a.syncs:
			a.drain(pending)
			a.flush(ctx, pending)
			close(done)
		case <-ctx.Done():
			a.drain(pending)
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			a.flush(fctx, pending)
			cancel()
			return
		}
	}
}

// Sync returns once every attempt observed before it is written (or dropped): for
// tests and for readers that must see them. It waits for Run, or for ctx to end.
func (a *Aggregator) Sync(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case a.syncs <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain folds everything queued now into pending.
func (a *Aggregator) drain(pending map[key]*Event) {
	for {
		select {
		case e := <-a.queue:
			a.add(pending, e)
		default:
			return
		}
	}
}

// add folds one attempt into its row.
func (a *Aggregator) add(pending map[key]*Event, e Event) {
	e = e.Bounded()
	start := e.At.Truncate(a.window)
	k := key{user: e.UserID, kind: e.Kind, address: e.Address, window: start.UnixMilli()}
	if row, ok := pending[k]; ok {
		row.Count += e.Count
		if row.UserAgent == "" {
			row.UserAgent = e.UserAgent
		}
		return
	}
	if len(pending) >= a.maxPending {
		a.dropped.Add(int64(e.Count))
		return
	}
	e.At = start
	pending[k] = &e
}

// flush writes every held row; a row that fails is dropped and counted rather than
// kept, so a database that is down cannot grow the memory held.
func (a *Aggregator) flush(ctx context.Context, pending map[key]*Event) {
	for k, row := range pending {
		if err := a.sink.RecordAggregated(ctx, *row); err != nil {
			a.dropped.Add(int64(row.Count))
			if ctx.Err() == nil {
				a.log.WarnContext(ctx, "recording failed log-ins failed", "user_id", row.UserID, "kind", row.Kind,
					"err", fmt.Errorf("aggregated %s: %w", row.Kind, err))
			}
		}
		delete(pending, k)
	}
}
