// Package httpapi is authme's HTTP side: the authenticate-me API, its middleware (request
// log, panic recovery, CORS in development, security headers, cross-origin protection,
// CSRF, session restore) and the single place where errors become status codes.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"authme/internal/auth"
	"authme/internal/session"
)

// Deps is everything the server needs; NewServer takes nothing else.
type Deps struct {
	Log        *slog.Logger
	Users      *auth.Service
	Sessions   *session.Manager
	CSRFKey    []byte // keys the CSRF token hash; derived again inside, so JWT_SECRET may be passed
	Production bool
	Now        func() time.Time

	// Ready checks the database for /readyz; nil means always ready.
	Ready func(ctx context.Context) error
	// TrustProxy lists the proxies whose X-Forwarded-For is believed.
	TrustProxy []netip.Prefix
	// Origins are trusted for cross-origin requests (and CORS in development).
	Origins []string
	// LoginRatePerMinute and LoginRateBurst size the per-address bucket on log-in and
	// sign-up; a rate of 0 turns it off.
	LoginRatePerMinute float64
	LoginRateBurst     int
	// Observe, when set, is told every request's route pattern, status and duration.
	Observe func(pattern string, status int, d time.Duration)
	// CountLogin, when set, is told each log-in's outcome: ok, invalid, throttled, shed
	// or error. CountSignup is told of each new account.
	CountLogin  func(outcome string)
	CountSignup func()
}

// Server is the HTTP handler with its dependencies.
type Server struct {
	log        *slog.Logger
	users      *auth.Service
	sessions   *session.Manager
	csrf       csrf
	cookies    cookies
	prod       bool
	now        func() time.Time
	ready      func(ctx context.Context) error
	trustProxy []netip.Prefix
	origins    origins
	limiter    *addressLimiter
	observe    func(pattern string, status int, d time.Duration)
	requestIDs *requestIDs
	countLogin func(outcome string)
	signedUp   func()
	handler    http.Handler
}

// NewServer wires the routes and middleware into one http.Handler.
func NewServer(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{
		log:        d.Log,
		users:      d.Users,
		sessions:   d.Sessions,
		csrf:       newCSRF(d.CSRFKey),
		cookies:    newCookies(d.Production),
		prod:       d.Production,
		now:        d.Now,
		ready:      d.Ready,
		trustProxy: d.TrustProxy,
		origins:    newOrigins(d.Origins),
		limiter:    newAddressLimiter(d.LoginRatePerMinute, d.LoginRateBurst, d.Now),
		observe:    d.Observe,
		requestIDs: newRequestIDs(),
		countLogin: d.CountLogin,
		signedUp:   d.CountSignup,
	}
	if s.countLogin == nil {
		s.countLogin = func(string) {}
	}
	if s.signedUp == nil {
		s.signedUp = func() {}
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.middleware(withJSONFallbacks(mux))
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// middleware wraps h in the seed's order: log, recover, CORS (development), security
// headers, refusing chunked bodies, cross-origin protection, CSRF, restore the user.
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.restoreUser(h)
	h = s.checkCSRF(h)
	h = s.crossOrigin(h)
	h = s.refuseChunked(h)
	h = s.securityHeaders(h)
	if !s.prod {
		h = s.cors(h)
	}
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}
