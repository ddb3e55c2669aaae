// Package httpapi is authme's HTTP side: the authenticate-me API, its middleware (request
// log, panic recovery, CORS in development, security headers, CSRF, session restore) and
// the single place where errors become status codes.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"authme/internal/auth"
	"authme/internal/session"
)

// Deps is everything the server needs; NewServer takes nothing else.
type Deps struct {
	Log        *slog.Logger
	Users      *auth.Service
	Sessions   *session.Manager
	CSRFKey    []byte // keys the CSRF token hash; derived from JWT_SECRET by the caller
	Production bool
	Now        func() time.Time
}

// Server is the HTTP handler with its dependencies.
type Server struct {
	log      *slog.Logger
	users    *auth.Service
	sessions *session.Manager
	csrf     csrf
	cookies  cookies
	prod     bool
	now      func() time.Time
	handler  http.Handler
}

// NewServer wires the routes and middleware into one http.Handler.
func NewServer(d Deps) *Server {
	s := &Server{
		log:      d.Log,
		users:    d.Users,
		sessions: d.Sessions,
		csrf:     newCSRF(d.CSRFKey),
		cookies:  newCookies(d.Production),
		prod:     d.Production,
		now:      d.Now,
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.middleware(withJSONFallbacks(mux))
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// middleware wraps h in the seed's order: log, recover, CORS (development), security
// headers, CSRF, restore the user.
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.restoreUser(h)
	h = s.checkCSRF(h)
	h = s.securityHeaders(h)
	if !s.prod {
		h = corsAnyOrigin(h)
	}
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}
