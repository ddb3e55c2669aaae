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

// handleSignup creates a user and logs them in. The account and its session are
// written in one transaction: a 503 never leaves behind an account whose sign-up the
// client was told failed.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	var req signupRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := auth.SignupInput{Username: req.Username, Email: req.Email, Password: req.Password}
	st, err := s.accounts.Signup(r.Context(), in, s.client(r))
	if err != nil {
		return err
	}
	s.signedUp()
	if st.Token == "" {
		// REQUIRE_VERIFIED_EMAIL: the account exists, but its owner logs in only once
		// the mailed link proves the address.
		writeJSON(w, http.StatusAccepted, verifyFirstBody{Message: MsgVerifyFirst, User: st.User, EmailVerifiedAt: verifiedAt{}})
		return nil
	}
	s.setSession(w, r, st)
	writeJSON(w, http.StatusCreated, bodyOf(st.User))
	return nil
}

// MsgVerifyFirst answers a sign-up that must verify its address before it logs in.
const MsgVerifyFirst = "Your account is created. Follow the link we mailed to your address to verify it, then log in."

// verifyFirstBody is that answer: the new user, and no session.
type verifyFirstBody struct {
	Message         string     `json:"message"`
	User            auth.User  `json:"user"`
	EmailVerifiedAt verifiedAt `json:"emailVerifiedAt"`
}
