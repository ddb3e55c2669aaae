package httpapi

import (
	"net/http"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
)

// userBody is {"user": {...}, "emailVerifiedAt": ...} or {"user": null}. The user
// object stays exactly the contract's {id, username, email}; what authme adds goes
// beside it.
type userBody struct {
	User *auth.User `json:"user"`
	// EmailVerifiedAt is null for an unverified address; absent when there is no user.
	EmailVerifiedAt *verifiedAt `json:"emailVerifiedAt,omitempty"`
}

// verifiedAt is an account's email verification time: null when never.
type verifiedAt struct{ t time.Time }

func (v verifiedAt) MarshalJSON() ([]byte, error) {
	if v.t.IsZero() {
		return []byte("null"), nil
	}
	return v.t.UTC().Truncate(time.Second).MarshalJSON() // stored in whole seconds
}

// bodyOf is the user's body.
func bodyOf(u auth.User) userBody {
	return userBody{User: &u, EmailVerifiedAt: &verifiedAt{u.EmailVerifiedAt}}
}

// handleSessionGet returns the restored user, or null.
func (s *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) {
	var body userBody
	if c, ok := currentUser(r.Context()); ok {
		body = bodyOf(c.user)
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
	in := auth.LoginInput{Credential: req.Credential, Password: req.Password, Device: s.device.read(r)}
	a, err := s.accounts.Password(r.Context(), in, s.client(r))
	return s.answerLogin(w, r, a, err)
}

// answerLogin answers a log-in's first factor, whichever it was: a session (200 with
// the user), a second factor to ask (202), or the error.
func (s *Server) answerLogin(w http.ResponseWriter, r *http.Request, a login.Attempt, err error) error {
	if err == nil && a.Pending != nil {
		// Counted as a log-in once the code finishes it (POST /api/session/second-factor).
		s.countLogin("second_factor")
		s.writePending(w, a.Pending)
		return nil
	}
	s.countLogin(loginOutcome(err))
	if err != nil {
		return err
	}
	s.setSession(w, r, a.Started)
	writeJSON(w, http.StatusOK, bodyOf(a.Started.User))
	return nil
}

// client is what a new session records of the request: its browser, and the session
// it came with (which the new one replaces).
func (s *Server) client(r *http.Request) login.Client {
	c := login.Client{UserAgent: r.UserAgent(), Address: clientIP(r, s.trustProxy).String()}
	if old, ok := currentUser(r.Context()); ok {
		c.Replaces = old.sessionID
	}
	return c
}

// setSession hands the client a started session's token, and the device cookie that
// marks this browser as known to the account.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, st login.Started) {
	s.cookies.setToken(w, st.Token, s.sessions.TTL())
	s.device.set(w, r, st.User)
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
