package httpapi

import (
	"context"
	"net/http"
	"time"
)

// ReadyTimeout bounds the database check behind /readyz.
const ReadyTimeout = time.Second

// handleHealthz says the process is up.
func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// handleReadyz says whether the instance can serve: the database answers within 1 s.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.ready == nil {
		writeJSON(w, http.StatusOK, readyBody{Status: "ok", Checks: map[string]string{}})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "check", "database", "err", err)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"message": "Service Unavailable", "status": "unavailable",
			"checks": map[string]string{"database": "failed"},
		})
		return
	}
	writeJSON(w, http.StatusOK, readyBody{Status: "ok", Checks: map[string]string{"database": "ok"}})
}
