package auth

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in the API layer, and nowhere else.
const (
	EInvalid      = "invalid"      // input failed validation (400)
	EConflict     = "conflict"     // a unique value is taken (409)
	EUnauthorized = "unauthorized" // wrong credentials or no session (401)
	ENotFound     = "not_found"    // no such thing (404)
	ETooMany      = "too_many"     // throttled: wait RetryAfter (429)
	EUnavailable  = "unavailable"  // a dependency is down or saturated: retry later (503)
	EInternal     = "internal"     // anything else (500); its message is never shown
)

// Error is authme's one error type: a code for the status, a message that is safe to
// show, and the fields at fault, keyed by field name.
type Error struct {
	Code       string
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration // for ETooMany and EUnavailable: when to try again
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// ErrorCode returns the code of the first *Error in err's chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Messages shared by the contract: the API's bodies use exactly these.
const (
	MsgBadRequest        = "Bad Request"
	MsgInvalidCredential = "Invalid credentials"
	MsgUserExists        = "User already exists"
	MsgAuthRequired      = "Authentication required"
	MsgTooMany           = "Too many attempts, try again later"
	MsgUnavailable       = "Service Unavailable"
)

// ErrInvalidCredentials is returned for an unknown account and a wrong password alike.
var ErrInvalidCredentials = &Error{Code: EUnauthorized, Message: MsgInvalidCredential}

// ErrShed marks a request refused because password hashing is saturated: load being
// shed as designed, not a fault, so it is counted rather than logged.
var ErrShed = errors.New("password hashing is saturated")

// ErrNotFound is returned by stores when a lookup matches nothing.
var ErrNotFound = &Error{Code: ENotFound, Message: "not found"}

// invalid builds the 400 error for a set of field messages.
func invalid(fields map[string]string) *Error {
	return &Error{Code: EInvalid, Message: MsgBadRequest, Fields: fields}
}

// Conflict builds the 409 error naming the fields whose values are taken.
func Conflict(fields ...string) *Error {
	e := &Error{Code: EConflict, Message: MsgUserExists, Fields: map[string]string{}}
	for _, f := range fields {
		e.Fields[f] = fmt.Sprintf("User with that %s already exists", f)
	}
	return e
}

// TooMany builds the 429 error asking the client to wait d.
func TooMany(d time.Duration) *Error {
	return &Error{Code: ETooMany, Message: MsgTooMany, RetryAfter: d}
}

// Unavailable builds the 503 error for a dependency that is down or saturated.
func Unavailable(retryAfter time.Duration, cause error) error {
	return fmt.Errorf("%w: %w", &Error{Code: EUnavailable, Message: MsgUnavailable, RetryAfter: retryAfter}, cause)
}

// EForbidden: the credentials are right but the account may not do this yet (403).
const EForbidden = "forbidden"

// Messages of the mail flows.
const (
	MsgBadToken        = "This link is invalid, used or expired. Ask for a new one."
	MsgEmailUnverified = "Verify your email address to log in: follow the link we mailed you, or ask for a new one."
	MsgMailOff         = "Email is not set up on this server, so it cannot send links. Ask its operator to set SMTP_URL."
)

// ErrBadToken is every refused mailed token: unknown, used, expired or superseded alike.
var ErrBadToken = &Error{Code: EInvalid, Message: MsgBadRequest, Fields: map[string]string{"token": MsgBadToken}}

// ErrEmailUnverified refuses a log-in with a right password when the server requires a
// verified address and the account's is not.
var ErrEmailUnverified = &Error{Code: EForbidden, Message: MsgEmailUnverified}

// ErrMailOff answers the mail endpoints when the server has no way to send mail.
var ErrMailOff = &Error{Code: EUnavailable, Message: MsgMailOff}
