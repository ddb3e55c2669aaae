package httpapi

import (
	"net/http"

	"authme/internal/recovery"
)

type emailChangeRequest struct {
	Password string `json:"password"`
	Email    string `json:"email"`
	secondFactor
}

// handleEmailChange checks the password and mails a confirmation link to the new
// address (and a notice to the old one); the address changes only when it is followed.
func (s *Server) handleEmailChange(w http.ResponseWriter, r *http.Request, c current) error {
	var req emailChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.recovery.RequestEmailChange(r.Context(), c.user, req.Password, req.Email, req.proof(), s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, messageBody{Message: "Check the new address's inbox for a link that confirms the change. Until then, nothing changes."})
	return nil
}

// emailBody answers a confirmed change or undo.
type emailBody struct {
	Message string `json:"message"`
	Email   string `json:"email"`
}

// handleEmailChangeConfirm spends a change-of-email token. The session the request
// comes with is kept when it is the account's; every other one ends.
func (s *Server) handleEmailChangeConfirm(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var keep recovery.Session
	if c, ok := currentUser(r.Context()); ok {
		keep = recovery.Session{UserID: c.user.ID, ID: c.sessionID}
	}
	u, err := s.recovery.ConfirmEmailChange(r.Context(), req.Token, keep, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emailBody{Message: "Your email address is changed.", Email: u.Email})
	return nil
}

// handleEmailChangeUndo spends an undo token from the old address: the address moves
// back and every session of the account ends.
func (s *Server) handleEmailChangeUndo(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.recovery.UndoEmailChange(r.Context(), req.Token, s.client(r))
	if err != nil {
		return err
	}
	if c, ok := currentUser(r.Context()); ok && c.user.ID == u.ID {
		s.cookies.clearToken(w)
	}
	writeJSON(w, http.StatusOK, emailBody{
		Message: "Your email address is back, and every session of the account has ended. If you did not make the change, reset your password now.",
		Email:   u.Email,
	})
	return nil
}
