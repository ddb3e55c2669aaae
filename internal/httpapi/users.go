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
	u, err := s.users.Signup(r.Context(), auth.SignupInput{Username: req.Username, Email: req.Email, Password: req.Password})
	if err != nil {
		return err
	}
	s.signedUp()
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userBody{User: &u})
	return nil
}

// handleMe returns the logged-in user.
func (s *Server) handleMe(w http.ResponseWriter, _ *http.Request, c current) error {
	writeJSON(w, http.StatusOK, userBody{User: &c.user})
	return nil
}
