package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"authme/internal/openapitest"
	"authme/internal/testdb"
)

// patterns records the routes a server registers.
type patterns []string

func (p *patterns) Handle(pattern string, _ http.Handler) { *p = append(*p, pattern) }
func (p *patterns) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	*p = append(*p, pattern)
}

// asOpenAPI writes a ServeMux pattern as the document's path: "/{$}" is "/".
func asOpenAPI(pattern string) string { return strings.Replace(pattern, "{$}", "", 1) }

// TestOpenAPIDescribesEveryRoute fails when routes.go and the document disagree: a
// route without its operation, or an operation the server does not route.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	var routed patterns
	NewServer(Deps{CSRFKey: []byte(testSecret)}).routes(&routed)
	for i, p := range routed {
		routed[i] = asOpenAPI(p)
	}
	slices.Sort(routed)
	documented := doc.Operations()
	for _, p := range routed {
		if !slices.Contains(documented, p) {
			t.Errorf("route %q is not in openapi.yaml", p)
		}
	}
	for _, op := range documented {
		if !slices.Contains(routed, op) {
			t.Errorf("openapi.yaml describes %q, which routes.go does not route", op)
		}
	}
}

// TestOpenAPIServed checks the binary serves the document, as the same JSON the
// embedded YAML holds, and its reference page.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		c := h.client(t)
		r := c.do(http.MethodGet, "/api/openapi.json", nil)
		wantStatus(t, r, http.StatusOK)
		doc := r.jsonObject(t)
		if doc["openapi"] != "3.1.0" {
			t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
		}
		paths, _ := doc["paths"].(map[string]any)
		if _, ok := paths["/api/session"]; !ok {
			t.Errorf("paths %v have no /api/session", keysOf(paths))
		}
		page := c.do(http.MethodGet, "/docs/api", nil)
		wantStatus(t, page, http.StatusOK)
		if !strings.Contains(string(page.body), "API reference") {
			t.Errorf("/docs/api: %s", page.body)
		}
	})
}
