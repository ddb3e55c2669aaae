package httpapi

import (
	"net/http"

	"authme/internal/auth"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// handleChangePassword changes the password after checking the current one, ends every
// other session, and continues this one under a new token.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, c current) error {
	var req changePasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tok, replacement, err := s.sessions.New(c.user, r.UserAgent())
	if err != nil {
		return err
	}
	in := auth.ChangePasswordInput{CurrentPassword: req.CurrentPassword, NewPassword: req.NewPassword}
	if err := s.users.ChangePassword(r.Context(), c.user, in, replacement); err != nil {
		return err
	}
	s.cookies.setToken(w, tok, s.sessions.TTL())
	writeJSON(w, http.StatusOK, userBody{User: &c.user})
	return nil
}
