package httpapi

import (
	"errors"
	"net/http"

	"authme/internal/auth"
	"authme/internal/session"
)

// current is the restored user of a request and the session they came with.
type current struct {
	user      auth.User
	sessionID string
}

// restoreUser is the seed's restoreUser: a token cookie naming a live session puts its
// user on the request; any other token means no user, and the cookie is cleared.
func (s *Server) restoreUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := cookieValue(r, s.cookies.token)
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		u, id, err := s.sessions.Restore(r.Context(), tok)
		switch {
		case errors.Is(err, session.ErrNoSession):
			s.cookies.clearToken(w)
		case err != nil:
			s.writeError(w, r, err)
			return
		default:
			var st *reqState
			r, st = withState(r)
			st.user, st.hasUser = current{user: u, sessionID: id}, true
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth answers 401 unless the request has a user.
func (s *Server) requireAuth(fn func(http.ResponseWriter, *http.Request, current) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		c, ok := currentUser(r.Context())
		if !ok {
			return errAuthRequired
		}
		return fn(w, r, c)
	})
}
