package password_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"authme/internal/password"
)

func TestGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("FreeSlotIsImmediate", func(t *testing.T) {
		t.Parallel()
		g := password.NewGate(2, 0, time.Second)
		var waits []time.Duration
		var mu sync.Mutex
		g.ObserveWait(func(d time.Duration) { mu.Lock(); waits = append(waits, d); mu.Unlock() })
		r1, err1 := g.Acquire(ctx)
		r2, err2 := g.Acquire(ctx)
		if err1 != nil || err2 != nil || g.Running() != 2 {
			t.Fatalf("two Acquires on two slots = %v, %v, running %d", err1, err2, g.Running())
		}
		r1()
		r2()
		if g.Running() != 0 {
			t.Errorf("running %d after both releases, want 0", g.Running())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(waits) != 2 || waits[0] != 0 || waits[1] != 0 {
			t.Errorf("observed waits %v, want two zero waits", waits)
		}
	})

	t.Run("FullQueueIsBusyAtOnce", func(t *testing.T) {
		t.Parallel()
		g := password.NewGate(1, 0, time.Minute)
		release, err := g.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		start := time.Now()
		if _, err := g.Acquire(ctx); !errors.Is(err, password.ErrBusy) {
			t.Errorf("Acquire with no slot and no queue = %v, want ErrBusy", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("refusal took %v, want at once", d)
		}
	})

	t.Run("WaiterGetsReleasedSlot", func(t *testing.T) {
		t.Parallel()
		g := password.NewGate(1, 1, time.Minute)
		release, err := g.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			r, err := g.Acquire(ctx)
			if err == nil {
				r()
			}
			got <- err
		}()
		deadline := time.Now().Add(5 * time.Second)
		for g.Waiting() != 1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if g.Waiting() != 1 {
			t.Fatalf("Waiting = %d, want 1", g.Waiting())
		}
		// The queue holds one: a third caller is refused.
		if _, err := g.Acquire(ctx); !errors.Is(err, password.ErrBusy) {
			t.Errorf("third Acquire = %v, want ErrBusy", err)
		}
		release()
		if err := <-got; err != nil {
			t.Errorf("queued Acquire = %v, want the released slot", err)
		}
		if g.Waiting() != 0 || g.Running() != 0 {
			t.Errorf("waiting %d, running %d; want 0, 0", g.Waiting(), g.Running())
		}
	})

	t.Run("WaitIsBounded", func(t *testing.T) {
		t.Parallel()
		g := password.NewGate(1, 1, 20*time.Millisecond)
		release, _ := g.Acquire(ctx)
		defer release()
		if _, err := g.Acquire(ctx); !errors.Is(err, password.ErrBusy) {
			t.Errorf("Acquire past MaxWait = %v, want ErrBusy", err)
		}
		if g.Waiting() != 0 {
			t.Errorf("Waiting = %d after the timeout, want 0", g.Waiting())
		}
	})

	t.Run("CancelledContextStopsWaiting", func(t *testing.T) {
		t.Parallel()
		g := password.NewGate(1, 1, time.Minute)
		release, _ := g.Acquire(ctx)
		defer release()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := g.Acquire(cctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Acquire with an ending context = %v, want DeadlineExceeded", err)
		}
	})
}

func TestGateOnIdleRunsAfterTheLastRelease(t *testing.T) {
	t.Parallel()
	g := password.NewGate(2, 2, time.Second)
	idle := make(chan struct{}, 4)
	g.OnIdle(20*time.Millisecond, func() { idle <- struct{}{} })
	r1, _ := g.Acquire(context.Background())
	r2, _ := g.Acquire(context.Background())
	r1()
	select {
	case <-idle:
		t.Fatal("idle while a hash still runs")
	case <-time.After(60 * time.Millisecond):
	}
	r2()
	select {
	case <-idle:
	case <-time.After(2 * time.Second):
		t.Fatal("no idle call after the last release")
	}
}
