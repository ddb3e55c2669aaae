package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Transport is an http.RoundTripper that checks every exchange against the document
// and reports a mismatch as a test error. Bodies are read whole and handed on intact.
type Transport struct {
	T    testing.TB
	Doc  *Document
	Base http.RoundTripper // nil means http.DefaultTransport
}

// RoundTrip sends req through Base and checks the exchange.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read request body: %w", err)
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		if req.ContentLength < 0 || req.TransferEncoding != nil {
			// The test meant to send it chunked: keep it so.
			req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b)))
		}
	}
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	res, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	if err != nil {
		// Let the caller see the same failure when it reads.
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(resBody), errReader{err}))
		return res, nil
	}
	if err := tr.Doc.Check(req, reqBody, res, resBody); err != nil {
		tr.T.Errorf("openapi: %v", err)
	}
	return res, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Client returns c with its transport wrapped in a Transport checking against the
// shared document.
func Client(t testing.TB, c *http.Client) *http.Client {
	t.Helper()
	d, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	cc := *c
	cc.Transport = &Transport{T: t, Doc: d, Base: c.Transport}
	return &cc
}

// Handler checks every exchange h serves against the shared document, from the server's
// side: for tests whose client is a browser. Each answer is recorded whole, checked,
// then sent.
func Handler(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	d, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return // the client went away mid-body
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if r.Context().Err() != nil {
			return // the client went away: no one receives this answer
		}
		res := rec.Result()
		if err := d.Check(r, body, res, rec.Body.Bytes()); err != nil {
			t.Errorf("openapi: %v", err)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes()) //nolint:errcheck // the client went away
	})
}
