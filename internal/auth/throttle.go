package auth

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// LoginThrottle counts failed log-ins per key in shared storage, so every instance
// agrees (ASVS 6.3.1, NIST SP 800-63B 5.2.2).
type LoginThrottle interface {
	// LoginThrottleState returns the failures in a row and the time before which the
	// key may not try again (zero when free).
	LoginThrottleState(ctx context.Context, key string) (failures int, blockedUntil time.Time, err error)
	// RecordLoginFailure adds a failure at now and blocks the key until now+delay(n),
	// n being the new count.
	RecordLoginFailure(ctx context.Context, key string, now time.Time, delay func(failures int) time.Duration) error
	// ResetLoginFailures forgets the key's failures after a success.
	ResetLoginFailures(ctx context.Context, key string) error
}

// ThrottlePolicy says how long failed log-ins make an account wait.
type ThrottlePolicy struct {
	FreeFailures int           // failures in a row before any wait
	BaseDelay    time.Duration // the wait after FreeFailures failures; doubles per further one
	MaxDelay     time.Duration // the wait never exceeds this, so no one is locked out for long
}

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

// throttleKey names what failures count against: the account when the credential names
// one, else the credential itself, so unknown names behave exactly like real ones.
func throttleKey(userID int64, found bool, credential string) string {
	if found {
		return "u:" + strconv.FormatInt(userID, 10)
	}
	c := strings.ToLower(credential)
	if len(c) > 256 {
		c = c[:256]
	}
	// The key is stored as text, and PostgreSQL text holds neither NUL nor invalid UTF-8
	// (which the cut above can leave): drop both, or such a log-in fails with a 500.
	return "c:" + strings.ToValidUTF8(strings.ReplaceAll(c, "\x00", ""), "")
}
