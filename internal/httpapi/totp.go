package httpapi

import (
	"context"
	"net/http"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/mfa"
)

// totpStatusBody is an account's second factor as its owner sees it.
type totpStatusBody struct {
	Enabled                bool       `json:"enabled"`
	EnabledAt              *time.Time `json:"enabledAt"`
	RecoveryCodesRemaining int        `json:"recoveryCodesRemaining"`
}

func statusBody(st mfa.Status) totpStatusBody {
	b := totpStatusBody{Enabled: st.Enabled, RecoveryCodesRemaining: st.RecoveryCodesRemaining}
	if st.Enabled {
		at := st.EnabledAt.UTC().Truncate(time.Second)
		b.EnabledAt = &at
	}
	return b
}

// handleTOTPStatus says whether the caller's account has a second factor, and how many
// recovery codes it has left.
func (s *Server) handleTOTPStatus(w http.ResponseWriter, r *http.Request, c current) error {
	st, err := s.factors.Status(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusBody(st))
	return nil
}

type passwordRequest struct {
	Password string `json:"password"`
}

// handleTOTPBegin checks the password and returns a new secret for an authenticator
// app; it is in use only once confirmed with a code.
func (s *Server) handleTOTPBegin(w http.ResponseWriter, r *http.Request, c current) error {
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	en, err := s.factors.Begin(r.Context(), c.user, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, en)
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

// enabledBody answers a confirmed enrolment: the recovery codes, shown this once.
type enabledBody struct {
	totpStatusBody
	RecoveryCodes []string `json:"recoveryCodes"`
}

// handleTOTPConfirm puts the new secret in use with its first code, ending the
// account's other sessions, and returns the recovery codes.
func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request, c current) error {
	var req codeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	en, err := s.factors.Confirm(r.Context(), c.user, req.Code, c.sessionID, s.client(r))
	if err != nil {
		return err
	}
	st := mfa.Status{Enabled: true, EnabledAt: en.At, RecoveryCodesRemaining: len(en.RecoveryCodes)}
	writeJSON(w, http.StatusOK, enabledBody{totpStatusBody: statusBody(st), RecoveryCodes: en.RecoveryCodes})
	return nil
}

type factorChangeRequest struct {
	Password string `json:"password"`
	secondFactor
}

// handleTOTPDisable turns the second factor off once the password and a code (or a
// recovery code) are checked, ending the account's other sessions.
func (s *Server) handleTOTPDisable(w http.ResponseWriter, r *http.Request, c current) error {
	var req factorChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.factors.Disable(r.Context(), c.user, req.Password, req.proof(), c.sessionID, s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusBody(mfa.Status{}))
	return nil
}

type recoveryCodesBody struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

// handleRecoveryCodes replaces the recovery codes once the password and a code are checked.
func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request, c current) error {
	var req factorChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	codes, err := s.factors.RegenerateCodes(r.Context(), c.user, req.Password, req.proof(), s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesBody{RecoveryCodes: codes})
	return nil
}

// noFactors is Factors on a server wired without them: no account has one, and none
// can be enrolled.
type noFactors struct{}

func (noFactors) Status(context.Context, int64) (mfa.Status, error) { return mfa.Status{}, nil }
func (noFactors) Begin(context.Context, auth.User, string) (mfa.Enrolment, error) {
	return mfa.Enrolment{}, auth.ErrTOTPOff
}
func (noFactors) Confirm(context.Context, auth.User, string, string, login.Client) (mfa.Enabled, error) {
	return mfa.Enabled{}, auth.ErrTOTPOff
}
func (noFactors) Disable(context.Context, auth.User, string, auth.Proof, string, login.Client) error {
	return auth.ErrTOTPNotOn
}
func (noFactors) RegenerateCodes(context.Context, auth.User, string, auth.Proof, login.Client) ([]string, error) {
	return nil, auth.ErrTOTPNotOn
}
