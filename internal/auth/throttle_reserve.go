package auth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// reserve takes a place for one attempt on key, waiting (up to the policy's
// WaitInFlight) while the places are held by attempts in flight, and returns the
// function that gives the place back with the attempt's outcome. A blocked key is
// ETooMany with the wait; so is one whose places stay taken too long.
func (s *Service) reserve(ctx context.Context, key string) (finish func(AttemptOutcome) error, err error) {
	return s.reserveWith(ctx, key, s.policy)
}

// reserveWith is reserve under the policy p.
func (s *Service) reserveWith(ctx context.Context, key string, p ThrottlePolicy) (finish func(AttemptOutcome) error, err error) {
	if s.throttle == nil {
		return func(AttemptOutcome) error { return nil }, nil
	}
	// Waiting is for attempts that run on real CPUs, so it is timed by the real clock;
	// s.now is the policy's clock (blocks, leases), which tests move by hand.
	giveUp := time.Now().Add(p.waitInFlight())
	leave, ok, err := s.queues.wait(ctx, key, p.FreeFailures, giveUp)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, TooMany(time.Second)
	}
	pause := 5 * time.Millisecond
	for {
		r, err := s.throttle.ReserveLoginAttempt(ctx, key, s.now(), p)
		if err != nil {
			leave()
			return nil, fmt.Errorf("login throttle: %w", err)
		}
		if r.Granted {
			return func(o AttemptOutcome) error {
				defer leave()
				// The outcome is recorded even when the client has gone: a guess that
				// was checked must count, and a place must not stay taken.
				if err := s.throttle.FinishLoginAttempt(context.WithoutCancel(ctx), key, s.now(), o, p); err != nil {
					return fmt.Errorf("record login attempt: %w", err)
				}
				return nil
			}, nil
		}
		if wait := r.BlockedUntil.Sub(s.now()); wait > 0 {
			leave()
			return nil, TooMany(wait)
		}
		// Every place is held by an attempt in flight (on another instance, or already
		// failed here): wait for one to finish, with jitter, so waiters on several
		// instances do not retry in step.
		pause = min(2*pause, 80*time.Millisecond)
		d := pause/2 + rand.N(pause/2+1)
		if time.Now().Add(d).After(giveUp) {
			leave()
			return nil, TooMany(time.Second)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			leave()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
