package httpapi

import (
	"net/http"

	"authme/internal/auth"
)

type signupRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// handleSignup creates a user and logs them in.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	var req signupRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	// The session is recorded in the sign-up's transaction: a 503 never leaves behind an
	// account whose sign-up the client was told failed.
	var tok string
	u, err := s.users.SignupWithSession(r.Context(), auth.SignupInput{Username: req.Username, Email: req.Email, Password: req.Password},
		func(u auth.User) (auth.Session, error) {
			t, sess, err := s.sessions.New(u, r.UserAgent())
			tok = t
			return sess, err
		})
	if err != nil {
		return err
	}
	s.signedUp()
	s.replaceSession(w, r, tok)
	s.device.set(w, r, u)
	writeJSON(w, http.StatusCreated, userBody{User: &u})
	return nil
}

// handleMe returns the logged-in user.
func (s *Server) handleMe(w http.ResponseWriter, _ *http.Request, c current) error {
	writeJSON(w, http.StatusOK, userBody{User: &c.user})
	return nil
}
