// Package openapitest checks HTTP exchanges against authme's OpenAPI document
// (internal/httpapi/openapi/openapi.yaml), so the document cannot drift from the server:
// the API, security and end-to-end tests send their requests through Transport, which
// fails the test on any answer the document does not describe (route, status, header or
// body field) and on any request answered 2xx that the document would refuse.
package openapitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"authme/internal/httpapi/openapi"
)

// Document is the loaded, validated OpenAPI document with a router over its operations.
type Document struct {
	doc    *openapi3.T
	router routers.Router
	// every is the canonical names of the headers any response may carry
	// (components.headers marked x-every-response).
	every map[string]bool
	// unrouted maps a status to the response that answers a request outside the
	// documented operations (x-unrouted-responses); anyRequest, one that may answer
	// any request before authme sees it (x-any-request-responses).
	unrouted, anyRequest map[int]*openapi3.ResponseRef
}

// shared is the document loaded once for every test of a package: loading and
// validating it takes tens of milliseconds, and a Document is only read after Load.
var shared = sync.OnceValues(Load)

// Shared returns the document, loaded on first use and shared by every caller.
func Shared() (*Document, error) { return shared() }

// Load parses openapi.yaml, validates it as an OpenAPI 3.1 document and prepares the
// checks.
func Load() (*Document, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.YAML())
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi.yaml is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	d := &Document{doc: doc, router: router, every: map[string]bool{}}
	for name, h := range doc.Components.Headers {
		if h.Value != nil && h.Value.Extensions["x-every-response"] == true {
			d.every[http.CanonicalHeaderKey(name)] = true
		}
	}
	if d.unrouted, err = responsesByStatus(doc, "x-unrouted-responses"); err != nil {
		return nil, err
	}
	if d.anyRequest, err = responsesByStatus(doc, "x-any-request-responses"); err != nil {
		return nil, err
	}
	return d, nil
}

// responsesByStatus reads the extension named ext: a map of status to the name of a
// response in components.
func responsesByStatus(doc *openapi3.T, ext string) (map[int]*openapi3.ResponseRef, error) {
	m, ok := doc.Extensions[ext].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi.yaml has no %s map", ext)
	}
	out := map[int]*openapi3.ResponseRef{}
	for status, name := range m {
		var code int
		if _, err := fmt.Sscan(status, &code); err != nil {
			return nil, fmt.Errorf("%s: status %q: %w", ext, status, err)
		}
		n, _ := name.(string)
		ref := doc.Components.Responses[n]
		if ref == nil {
			return nil, fmt.Errorf("%s: %s names no response in components", ext, status)
		}
		out[code] = ref
	}
	return out, nil
}

// Operations lists the documented operations as ServeMux patterns, "GET /api/session".
func (d *Document) Operations() []string {
	var ops []string
	for path, item := range d.doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

// transportHeaders are set by net/http, not by authme, on any response.
var transportHeaders = map[string]bool{"Content-Length": true, "Content-Type": true, "Date": true, "Connection": true, "Keep-Alive": true}

// Check validates one exchange: the response always, the request when its answer is 2xx.
// reqBody and resBody are the bodies as sent and received.
func (d *Document) Check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	ctx := context.Background()
	// A HEAD request is answered as its GET, without the body.
	probe := req.Clone(ctx)
	probe.Method = req.Method
	if req.Method == http.MethodHead {
		probe.Method = http.MethodGet
	}
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) > 0 && probe.Header.Get("Content-Type") == "" {
		// The server reads a body without a type as JSON (curl and some fetch calls
		// send none); the document's request bodies say so.
		probe.Header.Set("Content-Type", "application/json")
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		ExcludeResponseBody:   req.Method == http.MethodHead,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		MultiError:            true,
	}
	route, params, err := d.router.FindRoute(probe)
	if resp := d.anyRequest[res.StatusCode]; resp != nil {
		route, params, err = d.only(req, probe.Method, res.StatusCode, resp), nil, nil
	}
	switch {
	case isRouteError(err, routers.ErrPathNotFound), isRouteError(err, routers.ErrMethodNotAllowed):
		resp := d.unrouted[res.StatusCode]
		if resp == nil || res.StatusCode == http.StatusNoContent && req.Method != http.MethodOptions {
			return fmt.Errorf("undocumented route: %s %s answered %d", req.Method, req.URL.Path, res.StatusCode)
		}
		route = d.only(req, probe.Method, res.StatusCode, resp)
	case err != nil:
		return fmt.Errorf("route %s %s: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	var errs []error
	if res.StatusCode >= 200 && res.StatusCode < 300 && route.Operation.OperationID != "" {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			errs = append(errs, fmt.Errorf("request refused by the document although answered %d: %w", res.StatusCode, err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	out.SetBodyBytes(resBody)
	// ValidateResponse skips HEAD; the probe says GET, and the body check is off.
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		errs = append(errs, fmt.Errorf("response: %w", err))
	}
	if err := d.checkHeaders(route, res); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s %s → %d: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return nil
}

// only is a route whose operation has one response, resp for status: how an answer
// given outside the operations is checked.
func (d *Document) only(req *http.Request, method string, status int, resp *openapi3.ResponseRef) *routers.Route {
	return &routers.Route{Spec: d.doc, Path: req.URL.Path, Method: method,
		Operation: &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(status, resp))}}
}

// isRouteError reports whether err is the router's error like target: the router
// makes new ones with the same reason rather than returning the sentinel.
func isRouteError(err, target error) bool {
	var re *routers.RouteError
	return errors.As(err, &re) && re.Reason == target.Error()
}

// checkHeaders fails on a response header the document does not declare for this
// answer or for every answer.
func (d *Document) checkHeaders(route *routers.Route, res *http.Response) error {
	ref := route.Operation.Responses.Status(res.StatusCode)
	if ref == nil || ref.Value == nil {
		return nil // ValidateResponse has said so
	}
	declared := map[string]bool{}
	for name := range ref.Value.Headers {
		declared[http.CanonicalHeaderKey(name)] = true
	}
	var undocumented []string
	for name := range res.Header {
		if !transportHeaders[name] && !d.every[name] && !declared[name] {
			undocumented = append(undocumented, name+": "+strings.Join(res.Header.Values(name), ", "))
		}
	}
	if len(undocumented) > 0 {
		slices.Sort(undocumented)
		return fmt.Errorf("undocumented response headers %q", undocumented)
	}
	return nil
}
