package auth

import (
	"context"
	"strconv"
	"time"
)

// CodeThrottle is how wrong second-factor codes make an account wait: 5 free, then 30 s,
// doubling up to 15 minutes. A 6-digit code accepted at three steps is a 3-in-a-million
// guess, so this leaves an attacker who has the password about a hundred guesses a day.
var CodeThrottle = ThrottlePolicy{FreeFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: 15 * time.Minute}

// WithCodeThrottle replaces CodeThrottle (tests make it quick).
func WithCodeThrottle(p ThrottlePolicy) Option { return func(s *Service) { s.codePolicy = p } }

// codeKey is the bucket of an account's second-factor codes: its own counter, which a
// right password does not clear (only a finished log-in does), or someone who has the
// password could loop "password, five codes" for ever.
func codeKey(userID int64) string { return "2fa:u:" + strconv.FormatInt(userID, 10) }

// ReserveCode reserves one check of a second-factor code for the account, on its code
// counter, before the code is checked; the returned function gives it back with the
// outcome. A blocked counter is ETooMany.
func (s *Service) ReserveCode(ctx context.Context, userID int64) (finish func(AttemptOutcome) error, err error) {
	return s.reserveWith(ctx, codeKey(userID), s.codePolicy)
}

// Proof is what a person gives as their second factor: a code from their authenticator
// app, or one of their recovery codes. At most one is set.
type Proof struct {
	Code         string
	RecoveryCode string
}

// Empty reports whether no second factor was given.
func (p Proof) Empty() bool { return p.Code == "" && p.RecoveryCode == "" }

// TOTPFactor is what the database keeps of an account's authenticator-app secret.
type TOTPFactor struct {
	UserID int64
	// Sealed is the secret encrypted under the key named KeyID; never the secret itself.
	Sealed, KeyID string
	CreatedAt     time.Time
	// ConfirmedAt is when the first code proved the enrolment; zero while it waits.
	ConfirmedAt time.Time
	// LastStep is the last 30-second step whose code was accepted.
	LastStep int64
}

// Confirmed reports whether the factor is in use (its enrolment was proven by a code).
func (f TOTPFactor) Confirmed() bool { return !f.ConfirmedAt.IsZero() }

// PendingLogin is a log-in whose password was right and whose second factor is still to
// come. Only the hash of the client's token is kept.
type PendingLogin struct {
	Hash      string
	UserID    int64
	Method    string // the first factor: "password" or "passkey"
	CreatedAt time.Time
	ExpiresAt time.Time
	Failures  int
}

// MaxCodeFailures is how many wrong codes end a pending log-in.
const MaxCodeFailures = 5

// Usable reports whether the attempt may still be finished at now.
func (p PendingLogin) Usable(now time.Time) bool {
	return now.Before(p.ExpiresAt) && p.Failures < MaxCodeFailures
}

// Messages of second factors.
const (
	MsgCodeRequired      = "Enter a code from your authenticator app, or a recovery code."
	MsgCodeMalformed     = "Enter the 6-digit code from your authenticator app."
	MsgCodeWrong         = "That code is not right. Enter the code your authenticator app shows now."
	MsgRecoveryMalformed = "A recovery code is 24 letters and digits, like abcd-efgh-ijkl-mnop-qrst-uvwx."
	MsgRecoveryWrong     = "That recovery code is not right, or it was used already."
	MsgProofBoth         = "Give a code or a recovery code, not both."
	MsgAttemptEnded      = "Your log-in attempt expired or ended. Log in again."
	MsgInvalidCode       = "Invalid code"
	MsgTOTPOff           = "Two-factor authentication needs ENCRYPTION_KEY on this server. Ask its operator to set it."
	MsgTOTPOn            = "Two-factor authentication is already on. Turn it off first to set up another app."
	MsgTOTPNotOn         = "Two-factor authentication is not on."
	MsgNoEnrolment       = "There is no set-up waiting for a code. Start again."
	MsgResetNeedsCode    = "This account has two-factor authentication: enter a code from your authenticator app, or a recovery code."
)

// Errors of second factors.
var (
	// ErrCodeRequired: the account has a second factor and no code was given.
	ErrCodeRequired = invalid(map[string]string{"code": MsgCodeRequired})
	// ErrResetNeedsCode: a reset link of an account with a second factor needs a code.
	ErrResetNeedsCode = invalid(map[string]string{"code": MsgResetNeedsCode})
	// ErrCodeWrong and ErrRecoveryCodeWrong refuse a wrong (or replayed) code.
	ErrCodeWrong         = invalid(map[string]string{"code": MsgCodeWrong})
	ErrRecoveryCodeWrong = invalid(map[string]string{"recoveryCode": MsgRecoveryWrong})
	// ErrAttemptEnded: the pending log-in is unknown, expired, used or ended by wrong codes.
	ErrAttemptEnded = &Error{Code: EUnauthorized, Message: MsgAttemptEnded, Fields: map[string]string{"attempt": MsgAttemptEnded}}
	// ErrTOTPOff: the server has no ENCRYPTION_KEY, so secrets can be neither kept nor read.
	ErrTOTPOff = &Error{Code: EUnavailable, Message: MsgTOTPOff}
	// ErrTOTPOn, ErrTOTPNotOn and ErrNoEnrolment refuse a step out of order.
	ErrTOTPOn      = &Error{Code: EConflict, Message: MsgTOTPOn, Fields: map[string]string{"totp": MsgTOTPOn}}
	ErrTOTPNotOn   = &Error{Code: EConflict, Message: MsgTOTPNotOn, Fields: map[string]string{"totp": MsgTOTPNotOn}}
	ErrNoEnrolment = &Error{Code: EConflict, Message: MsgNoEnrolment, Fields: map[string]string{"totp": MsgNoEnrolment}}
)

// Invalid builds the 400 error for a set of field messages.
func Invalid(fields map[string]string) *Error { return invalid(fields) }

// Unauthorized turns a refused code into the 401 of a log-in: the fields stay, the
// message is the log-in's.
func Unauthorized(e *Error) *Error {
	return &Error{Code: EUnauthorized, Message: MsgInvalidCode, Fields: e.Fields, RetryAfter: e.RetryAfter}
}
