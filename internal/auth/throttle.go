package auth

import (
	"context"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// LoginThrottle counts log-in attempts per key in shared storage, so every instance
// agrees (ASVS 6.3.1, NIST SP 800-63B 5.2.2). An attempt is reserved before any
// password is hashed, by one statement that both checks and counts, so concurrent
// guesses cannot all pass a check made before any of them has failed.
type LoginThrottle interface {
	// ReserveLoginAttempt reserves an attempt on key at now, when the key is not
	// blocked and fewer attempts are in flight than the failures it may still make
	// before a wait. Reservations older than p.Lease are forgotten.
	ReserveLoginAttempt(ctx context.Context, key string, now time.Time, p ThrottlePolicy) (Reservation, error)
	// FinishLoginAttempt gives a reservation back with its outcome: a failure is counted
	// (up to p.MaxFailures()) and blocks the key for p.Delay of the new count; a success
	// clears the key's failures; an abandoned attempt (nothing was checked) only frees
	// its place.
	FinishLoginAttempt(ctx context.Context, key string, now time.Time, outcome AttemptOutcome, p ThrottlePolicy) error
}

// Reservation is the answer to a request for an attempt.
type Reservation struct {
	Granted bool
	// BlockedUntil, when the reservation was refused and is after now, is when the key
	// may try again. A refusal with no block means the key's places are taken by
	// attempts in flight: try again once one of them has finished.
	BlockedUntil time.Time
}

// AttemptOutcome is how a reserved attempt ended.
type AttemptOutcome int

// The outcomes of an attempt.
const (
	AttemptFailed AttemptOutcome = iota
	AttemptSucceeded
	AttemptAbandoned
)

// ThrottlePolicy says how long failed log-ins make a key wait.
type ThrottlePolicy struct {
	FreeFailures int           // failures in a row before any wait
	BaseDelay    time.Duration // the wait after FreeFailures failures; doubles per further one
	MaxDelay     time.Duration // the wait never exceeds this, so no one is locked out for long
	// Lease is how long a reservation holds its place when its attempt never reports
	// back (the instance died); 0 means DefaultLease.
	Lease time.Duration
	// WaitInFlight bounds how long an attempt waits for the places that attempts in
	// flight hold before it is refused; 0 means DefaultWaitInFlight.
	WaitInFlight time.Duration
}

// Defaults for the policy's optional fields.
const (
	DefaultLease        = 30 * time.Second
	DefaultWaitInFlight = 5 * time.Second
)

// DefaultThrottle: after 5 failures in a row wait 1 s, then 2 s, 4 s, … up to 15 minutes.
var DefaultThrottle = ThrottlePolicy{FreeFailures: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute}

// Delay is the wait after n failures in a row.
func (p ThrottlePolicy) Delay(n int) time.Duration {
	if n < p.FreeFailures {
		return 0
	}
	d := p.BaseDelay
	for i := p.FreeFailures; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// MaxFailures is where the count stops growing: the first count whose wait is the
// longest. Counting further would change nothing but how long a burst is remembered.
func (p ThrottlePolicy) MaxFailures() int {
	base, maxd := max(p.BaseSeconds(), 1), max(p.MaxSeconds(), 1)
	steps := 0
	if maxd > base {
		steps = bits.Len64(uint64((maxd - 1) / base)) // doublings until base·2^steps ≥ max
	}
	return p.FreeFailures + min(steps, 40)
}

// BaseSeconds and MaxSeconds are the delays in whole seconds, rounded up, as the store
// keeps times.
func (p ThrottlePolicy) BaseSeconds() int64 { return ceilSeconds(p.BaseDelay) }

// MaxSeconds is MaxDelay in whole seconds, rounded up.
func (p ThrottlePolicy) MaxSeconds() int64 { return ceilSeconds(p.MaxDelay) }

// LeaseOrDefault is Lease, or DefaultLease when unset.
func (p ThrottlePolicy) LeaseOrDefault() time.Duration {
	if p.Lease > 0 {
		return p.Lease
	}
	return DefaultLease
}

func (p ThrottlePolicy) waitInFlight() time.Duration {
	if p.WaitInFlight > 0 {
		return p.WaitInFlight
	}
	return DefaultWaitInFlight
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// throttleKey names what failures count against: the account when the credential names
// one, else the credential's comparison key, so unknown names behave exactly like real
// ones and every look-alike spelling of one unknown name shares its bucket.
func throttleKey(userID int64, found bool, credential string) string {
	if found {
		return accountKey(userID)
	}
	c := UsernameMatchKey(credential)
	if len(c) > 256 {
		c = c[:256]
	}
	// The key is stored as text, and PostgreSQL text holds neither NUL nor invalid UTF-8:
	// the match key has no controls, and the cut above must not leave half a character.
	return "c:" + strings.ToValidUTF8(c, "")
}

func accountKey(userID int64) string { return "u:" + strconv.FormatInt(userID, 10) }

// deviceKey is the bucket of one known device of an account: its owner's attempts from
// a browser that has logged in before count here, not against the account.
func deviceKey(d Device) string {
	return "d:" + strconv.FormatInt(d.UserID, 10) + ":" + d.ID
}
