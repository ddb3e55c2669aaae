package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"authme/internal/auth"
)

// addressLimiter is a token bucket per client address for the credential endpoints.
// Buckets live in this process: the per-account throttle in the database is what all
// instances share; this one only blunts floods from one address.
type addressLimiter struct {
	rate    rate.Limit
	burst   int
	now     func() time.Time
	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// maxBuckets bounds memory under a flood of distinct addresses; past it, idle buckets
// are swept early.
const maxBuckets = 100_000

func newAddressLimiter(perMinute float64, burst int, now func() time.Time) *addressLimiter {
	if perMinute <= 0 {
		return nil
	}
	return &addressLimiter{rate: rate.Limit(perMinute / 60), burst: burst, now: now, buckets: map[netip.Addr]*bucket{}}
}

// allow takes a token for addr, or says how long until one is free.
func (l *addressLimiter) allow(addr netip.Addr) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[addr] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets buckets that have refilled completely: they are as good as new.
func (l *addressLimiter) sweep(now time.Time) {
	full := time.Duration(float64(l.burst) / float64(l.rate) * float64(time.Second))
	for a, b := range l.buckets {
		if now.Sub(b.used) > full {
			delete(l.buckets, a)
		}
	}
	l.swept = now
}

// limitByAddress answers 429 with Retry-After when the client's bucket is empty.
func (s *Server) limitByAddress(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.limiter.allow(clientIP(r, s.trustProxy)); !ok {
			if r.URL.Path == "/api/session" {
				s.countLogin("throttled")
			}
			s.writeError(w, r, auth.TooMany(wait))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// retryAfter formats a wait as whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
