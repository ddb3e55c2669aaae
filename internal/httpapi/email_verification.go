package httpapi

import (
	"net/http"

	"authme/internal/recovery"
)

// handleVerificationRequest queues a verification link: 202 and the same body whatever
// the address. No session is needed, so a person who signed up elsewhere can ask again.
func (s *Server) handleVerificationRequest(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.recovery.RequestVerification(r.Context(), req.Email, s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, messageBody{Message: recovery.MsgVerificationQueued})
	return nil
}

type tokenRequest struct {
	Token string `json:"token"`
}

// verifiedBody answers a confirmed verification.
type verifiedBody struct {
	Message         string     `json:"message"`
	EmailVerifiedAt verifiedAt `json:"emailVerifiedAt"`
}

// handleVerificationConfirm spends a verification link's token.
func (s *Server) handleVerificationConfirm(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.recovery.ConfirmVerification(r.Context(), req.Token, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, verifiedBody{Message: "Your email address is verified.", EmailVerifiedAt: verifiedAt{u.EmailVerifiedAt}})
	return nil
}
