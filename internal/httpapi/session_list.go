package httpapi

import (
	"net/http"
	"time"

	"authme/internal/auth"
)

// sessionView is one session as the user sees it.
type sessionView struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	UserAgent  string    `json:"userAgent"`
	Current    bool      `json:"current"`
}

// handleSessionsList lists the user's live sessions, marking the one in use.
func (s *Server) handleSessionsList(w http.ResponseWriter, r *http.Request, c current) error {
	list, err := s.sessions.List(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	out := make([]sessionView, len(list))
	for i, ss := range list {
		out[i] = sessionView{ID: ss.ID, CreatedAt: ss.CreatedAt.UTC(), LastSeenAt: ss.LastSeenAt.UTC(), ExpiresAt: ss.ExpiresAt.UTC(),
			UserAgent: ss.UserAgent, Current: ss.ID == c.sessionID}
	}
	writeJSON(w, http.StatusOK, map[string][]sessionView{"sessions": out})
	return nil
}

var errSessionNotFound = &auth.Error{Code: auth.ENotFound, Message: "Session couldn't be found"}

// handleSessionsEndOne ends one of the user's sessions; ending the current one logs out.
func (s *Server) handleSessionsEndOne(w http.ResponseWriter, r *http.Request, c current) error {
	id := r.PathValue("id")
	if !validSessionID(id) {
		return errSessionNotFound
	}
	if err := s.sessions.EndOne(r.Context(), c.user.ID, id, s.client(r).Origin(c.sessionID)); err != nil {
		if auth.ErrorCode(err) == auth.ENotFound {
			return errSessionNotFound
		}
		return err
	}
	if id == c.sessionID {
		s.cookies.clearToken(w)
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "success"})
	return nil
}

// handleSessionsEndOthers ends every session of the user but this one.
func (s *Server) handleSessionsEndOthers(w http.ResponseWriter, r *http.Request, c current) error {
	n, err := s.sessions.EndOthers(r.Context(), c.user.ID, c.sessionID, s.client(r).Origin(c.sessionID))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "success", "ended": n})
	return nil
}

// sessionIDLen is the length of a session id: base64url of 18 random bytes, as
// session.Manager makes them.
const sessionIDLen = 24

// validSessionID reports whether id has the shape of a session id, so that nothing else
// (a NUL, bytes that are not UTF-8, which PostgreSQL refuses outright) reaches the
// database: any other id names no session.
func validSessionID(id string) bool {
	if len(id) != sessionIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
