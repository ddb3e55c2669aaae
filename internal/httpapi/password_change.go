package httpapi

import (
	"net/http"

	"authme/internal/auth"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
	secondFactor
}

// handleChangePassword changes the password after checking the current one, ends every
// other session, and continues this one under a new token.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, c current) error {
	var req changePasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := auth.ChangePasswordInput{CurrentPassword: req.CurrentPassword, NewPassword: req.NewPassword, Proof: req.proof()}
	st, err := s.accounts.ChangePassword(r.Context(), c.user, in, s.client(r))
	if err != nil {
		return err
	}
	s.setSession(w, r, st)
	writeJSON(w, http.StatusOK, bodyOf(c.user))
	return nil
}
