package httpapi

import (
	"context"
	"errors"
	"net/http"

	"authme/internal/auth"
)

// httpError is a transport-level failure (bad body, CSRF, routing) with its status and
// the exact body to send.
type httpError struct {
	status  int
	message string
	fields  map[string]string
}

func (e *httpError) Error() string { return e.message }

// Transport errors with the contract's bodies.
var (
	errNotFound     = &httpError{status: http.StatusNotFound, message: "The requested resource couldn't be found."}
	errCSRF         = &httpError{status: http.StatusForbidden, message: "invalid csrf token"}
	errTooLarge     = &httpError{status: http.StatusRequestEntityTooLarge, message: "Payload Too Large"}
	errMediaType    = &httpError{status: http.StatusUnsupportedMediaType, message: "Unsupported Media Type", fields: map[string]string{"body": "send JSON (Content-Type: application/json)"}}
	errAuthRequired = &auth.Error{Code: auth.EUnauthorized, Message: auth.MsgAuthRequired}
	errInternalBody = errorBody{Message: "Internal Server Error"}
)

func badBody(detail string) *httpError {
	return &httpError{status: http.StatusBadRequest, message: auth.MsgBadRequest, fields: map[string]string{"body": detail}}
}

// statusClientClosed is what the log records for a request whose client left before the
// answer (nginx's 499); the client never sees it.
const statusClientClosed = 499

// statusOf maps a domain error code to its HTTP status: the one such map in authme.
func statusOf(code string) int {
	switch code {
	case auth.EInvalid:
		return http.StatusBadRequest
	case auth.EUnauthorized:
		return http.StatusUnauthorized
	case auth.EForbidden:
		return http.StatusForbidden
	case auth.ENotFound:
		return http.StatusNotFound
	case auth.EConflict:
		return http.StatusConflict
	case auth.ETooMany:
		return http.StatusTooManyRequests
	case auth.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is every error response: a message, and the fields at fault when there are.
type errorBody struct {
	Message string            `json:"message"`
	Errors  map[string]string `json:"errors,omitempty"`
}

// writeError answers with err's status and body. Internal errors are logged with the
// request id and shown only as "Internal Server Error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; no one reads the answer and nothing is wrong here.
		s.log.DebugContext(r.Context(), "client went away", "request_id", requestID(r.Context()), "path", r.URL.Path)
		w.WriteHeader(statusClientClosed)
		return
	}
	var he *httpError
	if errors.As(err, &he) {
		writeJSON(w, he.status, errorBody{Message: he.message, Errors: he.fields})
		return
	}
	var ae *auth.Error
	if errors.As(err, &ae) && ae.Code != auth.EInternal {
		if ae.Code == auth.EUnavailable && !errors.Is(err, auth.ErrShed) && !errors.Is(err, auth.ErrMailOff) {
			s.log.WarnContext(r.Context(), "service unavailable", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		}
		if ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfter(ae.RetryAfter))
		}
		writeJSON(w, statusOf(ae.Code), errorBody{Message: ae.Message, Errors: ae.Fields})
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, errInternalBody)
}

// handle adapts a handler that returns an error.
func (s *Server) handle(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
