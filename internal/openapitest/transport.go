package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
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

// Client returns c with its transport wrapped in a checking Transport.
func (d *Document) Client(t testing.TB, c *http.Client) *http.Client {
	cc := *c
	cc.Transport = &Transport{T: t, Doc: d, Base: c.Transport}
	return &cc
}
