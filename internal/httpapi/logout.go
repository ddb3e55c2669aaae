package httpapi

import "net/http"

// handleLogout ends the session and clears the cookie.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if c, ok := currentUser(r.Context()); ok {
		if err := s.sessions.End(r.Context(), c.user.ID, c.sessionID, s.client(r).Origin(c.sessionID)); err != nil {
			return err
		}
	}
	s.cookies.clearToken(w)
	writeJSON(w, http.StatusOK, map[string]string{"message": "success"})
	return nil
}
