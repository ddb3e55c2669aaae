package httpapi

import (
	"io"
	"net/http"
)

// handleHello is the seed's test route: it sets XSRF-TOKEN and says hello.
func (s *Server) handleHello(w http.ResponseWriter, r *http.Request) {
	s.handOutToken(w, r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "Hello World!") //nolint:errcheck // the client went away
}

// handleCSRFRestore gives a frontend a fresh token in the body and in XSRF-TOKEN.
func (s *Server) handleCSRFRestore(w http.ResponseWriter, r *http.Request) {
	tok := s.handOutToken(w, r)
	writeJSON(w, http.StatusOK, map[string]string{"XSRF-Token": tok})
}
