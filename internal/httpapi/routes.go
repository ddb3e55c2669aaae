package httpapi

import "net/http"

// routes is the whole API surface.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /hello/world", s.handleHello)
	mux.HandleFunc("GET /api/csrf/restore", s.handleCSRFRestore)

	mux.HandleFunc("GET /api/session", s.handleSessionGet)
	mux.Handle("POST /api/session", s.handle(s.handleLogin))
	mux.Handle("DELETE /api/session", s.handle(s.handleLogout))

	mux.Handle("POST /api/users", s.handle(s.handleSignup))
	mux.Handle("GET /api/users/me", s.requireAuth(s.handleMe))
}
