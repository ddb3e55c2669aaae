package httpapi

import (
	"net/http"

	"authme/internal/auth"
)

// userBody is {"user": {...}} or {"user": null}.
type userBody struct {
	User *auth.User `json:"user"`
}

// handleSessionGet returns the restored user, or null.
func (s *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) {
	var body userBody
	if c, ok := currentUser(r.Context()); ok {
		body.User = &c.user
	}
	writeJSON(w, http.StatusOK, body)
}

type loginRequest struct {
	Credential string `json:"credential"`
	Password   string `json:"password"`
}

// handleLogin checks the credentials and starts a new session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.users.Login(r.Context(), auth.LoginInput{Credential: req.Credential, Password: req.Password, Device: s.device.read(r)})
	s.countLogin(loginOutcome(err))
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.device.set(w, r, u)
	writeJSON(w, http.StatusOK, userBody{User: &u})
	return nil
}

// startSession issues a token for u in a new session, ending the session the request
// came with, if any: every log-in gets a fresh token.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u auth.User) error {
	tok, _, err := s.sessions.Start(r.Context(), u, r.UserAgent())
	if err != nil {
		return err
	}
	s.replaceSession(w, r, tok)
	return nil
}

// replaceSession hands the client the new session's token and ends the session the
// request came with, if any.
func (s *Server) replaceSession(w http.ResponseWriter, r *http.Request, tok string) {
	if old, ok := currentUser(r.Context()); ok {
		if err := s.sessions.End(r.Context(), old.sessionID); err != nil {
			s.log.WarnContext(r.Context(), "ending the replaced session failed", "request_id", requestID(r.Context()), "err", err)
		}
	}
	s.cookies.setToken(w, tok, s.sessions.TTL())
}

// handleLogout ends the session and clears the cookie.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if c, ok := currentUser(r.Context()); ok {
		if err := s.sessions.End(r.Context(), c.sessionID); err != nil {
			return err
		}
	}
	s.cookies.clearToken(w)
	writeJSON(w, http.StatusOK, map[string]string{"message": "success"})
	return nil
}

// loginOutcome names a log-in result for metrics.
func loginOutcome(err error) string {
	if err == nil {
		return "ok"
	}
	switch auth.ErrorCode(err) {
	case auth.EUnauthorized, auth.EInvalid:
		return "invalid"
	case auth.ETooMany:
		return "throttled"
	case auth.EUnavailable:
		return "shed"
	}
	return "error"
}
