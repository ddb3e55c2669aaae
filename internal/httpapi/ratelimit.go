package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"authme/internal/auth"
)

// AddressLimiter is the token bucket per client address on the credential endpoints.
// The store's implementation keeps the buckets in the database, so every instance over
// it shares them.
type AddressLimiter interface {
	// Allow takes a token from key's bucket, or says how long until one is free.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// limitByAddress answers 429 with Retry-After when the client's bucket is empty.
//
// When the limiter itself fails, the request goes on (fail open) with a warning: log-in
// and sign-up need the same database, so an outage still ends in their 503, while a
// limiter-only fault (a lock timeout under a write flood) does not lock every user out;
// the per-account throttle and the hashing gate still bound guessing meanwhile.
func (s *Server) limitByAddress(next http.Handler) http.Handler {
	return s.limitWith(s.limiter, "", next)
}

// limitMail is limitByAddress for the endpoints that send mail or spend a mailed token,
// on buckets of their own: a flood of reset requests from an address does not use up
// its log-ins, nor the other way round.
func (s *Server) limitMail(next http.Handler) http.Handler {
	return s.limitWith(s.mailLimiter, "", next)
}

func (s *Server) limitWith(limiter AddressLimiter, prefix string, next http.Handler) http.Handler {
	if limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait, err := limiter.Allow(r.Context(), prefix+addressKey(clientIP(r, s.trustProxy), s.ipv6Bits))
		switch {
		case err != nil && r.Context().Err() != nil:
			s.writeError(w, r, r.Context().Err())
			return
		case err != nil:
			s.log.WarnContext(r.Context(), "per-address limit unavailable: request let through",
				"request_id", requestID(r.Context()), "path", r.URL.Path, "err", err)
		case !ok:
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
