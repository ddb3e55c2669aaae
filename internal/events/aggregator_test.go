package events_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"authme/internal/events"
)

// sink keeps the rows written, or fails every write.
type sink struct {
	mu   sync.Mutex
	rows []events.Event
	fail bool
}

func (s *sink) RecordAggregated(_ context.Context, e events.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("database is down")
	}
	s.rows = append(s.rows, e)
	return nil
}

func (s *sink) sorted() []events.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]events.Event(nil), s.rows...)
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Address < out[j].Address
	})
	return out
}

// runToEnd runs the aggregator with a context that has already ended: it takes in
// everything queued, writes it and returns, with no clock or sleep involved.
func runToEnd(a *events.Aggregator) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.Run(ctx)
}

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func failed(user int64, kind, addr string, at time.Duration) events.Event {
	return events.Event{UserID: user, Kind: kind, Address: addr, UserAgent: "ua", At: t0.Add(at), Count: 1}
}

func TestAggregator(t *testing.T) {
	t.Parallel()
	type row struct {
		kind, addr string
		at         time.Duration
		count      int
	}
	tests := []struct {
		name    string
		observe []events.Event
		want    []row
	}{
		{"OneRowPerMinuteWithTheCount", []events.Event{
			failed(1, events.LoginFailed, "10.0.0.1", 10*time.Second),
			failed(1, events.LoginFailed, "10.0.0.1", 50*time.Second),
			failed(1, events.LoginFailed, "10.0.0.1", 59*time.Second),
		}, []row{{events.LoginFailed, "10.0.0.1", 0, 3}}},
		{"ANewMinuteIsANewRow", []events.Event{
			failed(1, events.LoginFailed, "10.0.0.1", 59*time.Second),
			failed(1, events.LoginFailed, "10.0.0.1", 61*time.Second),
		}, []row{{events.LoginFailed, "10.0.0.1", 0, 1}, {events.LoginFailed, "10.0.0.1", time.Minute, 1}}},
		{"AddressesAndKindsAreRowsOfTheirOwn", []events.Event{
			failed(1, events.LoginFailed, "10.0.0.1", time.Second),
			failed(1, events.LoginFailed, "10.0.0.2", time.Second),
			failed(1, events.LoginThrottled, "10.0.0.1", time.Second),
			failed(1, events.LoginThrottled, "10.0.0.1", 2*time.Second),
		}, []row{{events.LoginFailed, "10.0.0.1", 0, 1}, {events.LoginFailed, "10.0.0.2", 0, 1}, {events.LoginThrottled, "10.0.0.1", 0, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &sink{}
			a := events.NewAggregator(s, events.AggregatorOptions{})
			for _, e := range tt.observe {
				a.Observe(e)
			}
			runToEnd(a)
			got := s.sorted()
			if len(got) != len(tt.want) {
				t.Fatalf("wrote %d rows %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || g.Address != w.addr || !g.At.Equal(t0.Add(w.at)) || g.Count != w.count || g.UserID != 1 {
					t.Errorf("row %d = %+v, want %+v", i, g, w)
				}
			}
			if a.Dropped() != 0 {
				t.Errorf("dropped %d, want 0", a.Dropped())
			}
		})
	}
}

// TestAggregatorBounds: a flood neither blocks the caller nor grows without bound;
// what does not fit is counted.
func TestAggregatorBounds(t *testing.T) {
	t.Parallel()
	t.Run("AFullQueueDropsWithoutBlocking", func(t *testing.T) {
		t.Parallel()
		s := &sink{}
		a := events.NewAggregator(s, events.AggregatorOptions{Queue: 2})
		for i := 0; i < 5; i++ {
			a.Observe(failed(1, events.LoginFailed, "10.0.0.1", 0)) // nothing reads yet: would hang if it waited
		}
		if a.Dropped() != 3 {
			t.Errorf("dropped %d, want 3", a.Dropped())
		}
		runToEnd(a)
		if rows := s.sorted(); len(rows) != 1 || rows[0].Count != 2 {
			t.Errorf("wrote %+v, want one row of 2", rows)
		}
	})
	t.Run("HeldRowsAreBounded", func(t *testing.T) {
		t.Parallel()
		s := &sink{}
		a := events.NewAggregator(s, events.AggregatorOptions{MaxPending: 2})
		for user := int64(1); user <= 4; user++ {
			a.Observe(failed(user, events.LoginFailed, "10.0.0.1", 0))
		}
		a.Observe(failed(1, events.LoginFailed, "10.0.0.1", 0)) // joins a held row
		runToEnd(a)
		if rows := s.sorted(); len(rows) != 2 {
			t.Errorf("wrote %d rows, want 2", len(rows))
		}
		if a.Dropped() != 2 {
			t.Errorf("dropped %d, want 2", a.Dropped())
		}
	})
	t.Run("FailedWritesAreCounted", func(t *testing.T) {
		t.Parallel()
		s := &sink{fail: true}
		a := events.NewAggregator(s, events.AggregatorOptions{})
		a.Observe(failed(1, events.LoginFailed, "10.0.0.1", 0))
		a.Observe(failed(1, events.LoginFailed, "10.0.0.1", time.Second))
		runToEnd(a)
		if a.Dropped() != 2 {
			t.Errorf("dropped %d, want 2", a.Dropped())
		}
	})
	t.Run("SyncWritesWhatWasObserved", func(t *testing.T) {
		t.Parallel()
		s := &sink{}
		a := events.NewAggregator(s, events.AggregatorOptions{Flush: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { a.Run(ctx); close(ran) }()
		defer func() { cancel(); <-ran }()
		a.Observe(failed(1, events.LoginFailed, "10.0.0.1", 0))
		a.Observe(failed(1, events.LoginFailed, "10.0.0.1", time.Second))
		if err := a.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if rows := s.sorted(); len(rows) != 1 || rows[0].Count != 2 {
			t.Errorf("after Sync wrote %+v, want one row of 2", rows)
		}
	})
	t.Run("ObserveStampsTheTime", func(t *testing.T) {
		t.Parallel()
		s := &sink{}
		a := events.NewAggregator(s, events.AggregatorOptions{Now: func() time.Time { return t0.Add(90 * time.Second) }})
		a.Observe(events.Event{UserID: 1, Kind: events.LoginFailed})
		runToEnd(a)
		if rows := s.sorted(); len(rows) != 1 || !rows[0].At.Equal(t0.Add(time.Minute)) {
			t.Errorf("wrote %+v, want one row at the start of its minute", rows)
		}
	})
}

func TestBounded(t *testing.T) {
	t.Parallel()
	long := make([]byte, 600)
	for i := range long {
		long[i] = 'a'
	}
	e := events.Event{Kind: "login", UserAgent: string(long) + "é", Address: "1.2.3.4\x00", SessionID: "s"}.Bounded()
	if len(e.UserAgent) != events.MaxUserAgent || e.Address != "1.2.3.4" || e.Count != 1 {
		t.Errorf("Bounded() = ua %d bytes, address %q, count %d", len(e.UserAgent), e.Address, e.Count)
	}
}
