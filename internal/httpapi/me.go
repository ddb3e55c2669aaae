package httpapi

import "net/http"

// handleMe returns the logged-in user.
func (s *Server) handleMe(w http.ResponseWriter, _ *http.Request, c current) error {
	writeJSON(w, http.StatusOK, bodyOf(c.user))
	return nil
}
