package auth

import (
	"context"
	"sync"
	"time"
)

// keyQueues lines up this process's attempts on one throttle key, at most n at a time
// (the policy's free failures), in arrival order. It is only a courtesy to the database:
// the reservation in the shared store is what decides, on every instance. Without it,
// fifty concurrent log-ins to one account (a shared demo account) would all poll the
// store for the few places, and the unlucky ones would be refused for waiting too long
// while the lucky ones went round again.
type keyQueues struct {
	mu sync.Mutex
	m  map[string]*keyQueue
}

type keyQueue struct {
	places chan struct{}
	users  int // goroutines holding or waiting for a place; the queue goes at zero
}

// wait takes a place in key's queue of n places, giving up at giveUp or when ctx ends;
// release gives it back.
func (q *keyQueues) wait(ctx context.Context, key string, n int, giveUp time.Time) (release func(), ok bool, err error) {
	q.mu.Lock()
	if q.m == nil {
		q.m = map[string]*keyQueue{}
	}
	kq := q.m[key]
	if kq == nil {
		kq = &keyQueue{places: make(chan struct{}, max(n, 1))}
		q.m[key] = kq
	}
	kq.users++
	q.mu.Unlock()

	leave := func() {
		q.mu.Lock()
		if kq.users--; kq.users == 0 {
			delete(q.m, key)
		}
		q.mu.Unlock()
	}
	select {
	case kq.places <- struct{}{}:
		return func() { <-kq.places; leave() }, true, nil
	default:
	}
	t := time.NewTimer(time.Until(giveUp))
	defer t.Stop()
	select {
	case kq.places <- struct{}{}:
		return func() { <-kq.places; leave() }, true, nil
	case <-t.C:
		leave()
		return nil, false, nil
	case <-ctx.Done():
		leave()
		return nil, false, ctx.Err()
	}
}
