package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBusy means every hashing slot is taken and the queue is full.
var ErrBusy = errors.New("password hashing is saturated")

// Gate bounds password hashing: at most Slots hashes run at once (one per core), at most
// Queue callers wait, each for at most MaxWait. Past that callers get ErrBusy at once,
// so a login flood costs a bounded amount of CPU, memory and goroutines.
type Gate struct {
	slots   chan struct{}
	queue   int64
	maxWait time.Duration
	waiting atomic.Int64
	// WaitObserver, when set, is told how long each admitted caller waited.
	waitObserver func(time.Duration)

	idleMu    sync.Mutex
	idleAfter time.Duration
	idleFunc  func()
	idleTimer *time.Timer
}

// NewGate returns a Gate with slots concurrent hashes and a queue of queue waiters.
func NewGate(slots, queue int, maxWait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(slots, 1)), queue: int64(queue), maxWait: maxWait}
}

// OnIdle calls f once the gate has had nothing running or waiting for d. Argon2id takes
// 7 MiB per hash; authme uses this to hand that memory back to the OS after a burst of
// log-ins, instead of keeping it resident until the next garbage collection.
func (g *Gate) OnIdle(d time.Duration, f func()) {
	g.idleMu.Lock()
	defer g.idleMu.Unlock()
	g.idleAfter, g.idleFunc = d, f
}

// ObserveWait registers f to receive every admitted caller's wait.
func (g *Gate) ObserveWait(f func(time.Duration)) { g.waitObserver = f }

// Waiting is the number of callers in the queue now.
func (g *Gate) Waiting() int64 { return g.waiting.Load() }

// Running is the number of hashes running now.
func (g *Gate) Running() int { return len(g.slots) }

// Acquire takes a slot, waiting in the queue if there is room; release gives it back.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	start := time.Now()
	select {
	case g.slots <- struct{}{}:
		g.observe(0)
		return g.release, nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		g.observe(time.Since(start))
		return g.release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *Gate) release() {
	<-g.slots
	if len(g.slots) == 0 && g.waiting.Load() == 0 {
		g.armIdle()
	}
}

// armIdle (re)starts the idle timer; the timer checks again before calling out.
func (g *Gate) armIdle() {
	g.idleMu.Lock()
	defer g.idleMu.Unlock()
	if g.idleFunc == nil {
		return
	}
	if g.idleTimer != nil {
		g.idleTimer.Reset(g.idleAfter)
		return
	}
	g.idleTimer = time.AfterFunc(g.idleAfter, func() {
		if len(g.slots) == 0 && g.waiting.Load() == 0 {
			g.idleFunc()
		}
	})
}

func (g *Gate) observe(d time.Duration) {
	if g.waitObserver != nil {
		g.waitObserver(d)
	}
}
