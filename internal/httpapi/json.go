package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Internal Server Error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away; nothing to do
}

// readBody reads the whole body, at most MaxBodyBytes, caching it on the request so the
// CSRF check and the handler can both look at it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	st := stateFrom(r.Context())
	if st != nil && st.bodyRead {
		return st.body, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, badBody("the body could not be read")
	}
	if st != nil {
		st.body, st.bodyRead = b, true
	}
	return b, nil
}

// bodyKind tells how the body is encoded: JSON (also when no type is given, as curl
// and some fetch calls send) or an HTML form.
func bodyKind(r *http.Request) (form bool, err error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false, nil
	}
	mt, _, perr := mime.ParseMediaType(ct)
	switch {
	case perr != nil:
		return false, errMediaType
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return false, nil
	case mt == "application/x-www-form-urlencoded":
		return true, nil
	}
	return false, errMediaType
}

// decode reads a JSON (or form) body into dst, a pointer to a struct of string fields.
// An empty body is an empty object, so missing fields surface as validation errors.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	form, err := bodyKind(r)
	if err != nil {
		return err
	}
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	// curl -d sends JSON labelled as a form; a form never starts with "{".
	if form && !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		if b, err = formAsJSON(b, dst); err != nil {
			return err
		}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	// More is false before a stray "}" or "]", so ask for the next token: only the end
	// of the body may follow the object.
	if _, err := dec.Token(); err != io.EOF {
		return badBody("the body must be a single JSON object")
	}
	// Decoding turned any text that is not text into U+FFFD without a word: refuse the
	// body rather than store or compare a value other than the one sent.
	if alteredText(b) {
		return alteredJSONFields(b, dst)
	}
	return nil
}

// jsonError turns a decoding error into a 400 that says what is wrong, never echoing
// the body itself.
func jsonError(err error) error {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return &httpError{status: http.StatusBadRequest, message: "Bad Request",
			fields: map[string]string{typ.Field: typ.Field + " must be a string"}}
	case errors.As(err, &typ):
		return badBody("the body must be a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return badBody("the body is not valid JSON")
	}
	return badBody("the body is not valid JSON")
}

// formAsJSON re-encodes a urlencoded form as a JSON object of strings. Values must be
// UTF-8 first: json.Marshal would turn any other byte into U+FFFD.
func formAsJSON(b []byte, dst any) ([]byte, error) {
	vals, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, badBody("the form body is malformed")
	}
	if err := alteredFormFields(vals, dst); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(vals))
	for k, v := range vals {
		m[k] = v[0]
	}
	return json.Marshal(m)
}

// withJSONFallbacks answers unknown paths with the contract's JSON 404, and known paths
// with another method with JSON 405 and Allow, instead of the mux's plain-text pages.
func withJSONFallbacks(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			setPattern(r.Context(), pattern)
			if strings.Contains(pattern, "{") {
				mux.ServeHTTP(w, r) // routes again, to fill in r.PathValue
			} else {
				h.ServeHTTP(w, r)
			}
			return
		}
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: "Method Not Allowed"})
			return
		}
		writeJSON(w, http.StatusNotFound, errorBody{Message: errNotFound.message})
	})
}

// statusProbe records what the mux's own 404/405 handler would send.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }
