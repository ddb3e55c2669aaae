package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/mfa"
)

// Factors is how owners look after their second factor: the mfa package's Service.
type Factors interface {
	Status(ctx context.Context, userID int64) (mfa.Status, error)
	Begin(ctx context.Context, u auth.User, password string) (mfa.Enrolment, error)
	Confirm(ctx context.Context, u auth.User, code, keep string, c login.Client) (mfa.Enabled, error)
	Disable(ctx context.Context, u auth.User, password string, p auth.Proof, keep string, c login.Client) error
	RegenerateCodes(ctx context.Context, u auth.User, password string, p auth.Proof, c login.Client) ([]string, error)
}

// secondFactor is the code a sensitive request carries beside the password: for an
// account with a second factor, a code from its app or one of its recovery codes.
type secondFactor struct {
	Code         string `json:"code"`
	RecoveryCode string `json:"recoveryCode"`
}

func (f secondFactor) proof() auth.Proof {
	return auth.Proof{Code: f.Code, RecoveryCode: f.RecoveryCode}
}

// pendingBody answers a right password of an account with a second factor: no user yet
// (null, so a frontend that knows nothing of second factors sees "not logged in"), and
// what may finish the log-in, until when.
type pendingBody struct {
	User         *auth.User     `json:"user"`
	SecondFactor pendingFactors `json:"secondFactor"`
}

type pendingFactors struct {
	Methods   []string  `json:"methods"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// writePending hands the client a log-in that waits for its second factor: the attempt's
// token goes in an HttpOnly cookie, bound to this browser; the body says what to send.
func (s *Server) writePending(w http.ResponseWriter, p *login.Pending) {
	s.cookies.setPending(w, p.Token, time.Until(p.ExpiresAt))
	writeJSON(w, http.StatusAccepted, pendingBody{SecondFactor: pendingFactors{Methods: p.Methods, ExpiresAt: p.ExpiresAt.UTC().Truncate(time.Second)}})
}

// finishedBody is a log-in's body, with how many recovery codes are left when one was used.
type finishedBody struct {
	userBody
	RecoveryCodesRemaining *int `json:"recoveryCodesRemaining,omitempty"`
}

// handleSecondFactor finishes a log-in that waits for its second factor.
func (s *Server) handleSecondFactor(w http.ResponseWriter, r *http.Request) error {
	var req secondFactor
	if err := decode(w, r, &req); err != nil {
		return err
	}
	f, err := s.accounts.SecondFactor(r.Context(), cookieValue(r, s.cookies.pending), req.proof(), s.client(r))
	s.countLogin(loginOutcome(err))
	if err != nil {
		if hasField(err, "attempt") {
			s.cookies.clearPending(w) // the attempt is over: a new log-in begins another
		}
		return err
	}
	s.cookies.clearPending(w)
	s.setSession(w, r, f.Started)
	body := finishedBody{userBody: bodyOf(f.User)}
	if f.Spent.Method == login.MethodRecoveryCode {
		body.RecoveryCodesRemaining = &f.Spent.RecoveryCodesLeft
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// hasField reports whether err is an auth error naming field.
func hasField(err error, field string) bool {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return false
	}
	_, ok := ae.Fields[field]
	return ok
}
