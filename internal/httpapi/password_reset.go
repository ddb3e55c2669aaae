package httpapi

import (
	"net/http"

	"authme/internal/login"
	"authme/internal/recovery"
)

type emailRequest struct {
	Email string `json:"email"`
}

// messageBody is the answer of a request that only queues a mail, or confirms a link.
type messageBody struct {
	Message string `json:"message"`
}

// handleResetRequest queues a reset link for an address: 202 and the same body whether
// or not an account has it.
func (s *Server) handleResetRequest(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.recovery.RequestReset(r.Context(), req.Email, s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, messageBody{Message: recovery.MsgResetQueued})
	return nil
}

type resetConfirmRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
	secondFactor
}

// handleResetConfirm sets a new password with a reset link's token, ends every session
// of the account and starts one for this client, like a log-in.
func (s *Server) handleResetConfirm(w http.ResponseWriter, r *http.Request) error {
	var req resetConfirmRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := s.accounts.Reset(r.Context(), login.ResetInput{Token: req.Token, Password: req.Password, Proof: req.proof()}, s.client(r))
	if err != nil {
		return err
	}
	s.setSession(w, r, st)
	writeJSON(w, http.StatusOK, bodyOf(st.User))
	return nil
}
