package httpapi

import (
	"context"
	"net/http"
)

// reqState is everything the middleware learns about one request, in one place: it is
// put on the request once, by the outermost middleware, and filled in on the way down,
// instead of copying the request for each value (each copy is an allocation on the
// path every request takes).
type reqState struct {
	id         string // request id, echoed in X-Request-Id and logged
	pattern    string // the route that served it; "" for a 404 or 405
	csrfSecret string // this client's CSRF secret, made by checkCSRF when missing
	xsrfToken  string // the token set in XSRF-TOKEN by this answer, if any
	body       []byte // the body, once read (the CSRF check may read it first)
	bodyRead   bool
	user       current // the restored user, when hasUser
	hasUser    bool
}

type stateKey struct{}

// withState returns r carrying a reqState, and the state; r is copied only when it had
// none.
func withState(r *http.Request) (*http.Request, *reqState) {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return r, st
	}
	st := &reqState{}
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st)), st
}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// requestID returns the id the log middleware gave this request.
func requestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.id
	}
	return ""
}

// setPattern records the route serving the request, for logs and metrics.
func setPattern(ctx context.Context, pattern string) {
	if st := stateFrom(ctx); st != nil {
		st.pattern = pattern
	}
}

// csrfSecret returns this request's CSRF secret.
func csrfSecret(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.csrfSecret
	}
	return ""
}

// currentUser returns the request's user, if a live session came with it.
func currentUser(ctx context.Context) (current, bool) {
	if st := stateFrom(ctx); st != nil && st.hasUser {
		return st.user, true
	}
	return current{}, false
}
