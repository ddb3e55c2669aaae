package httpapi

import (
	"net/http"

	"authme/internal/httpapi/openapi"
	"authme/web"
)

// openAPIRoutes serves the OpenAPI document as JSON (embedded, made from the YAML by go
// generate) and the reference page that renders it.
func (s *Server) openAPIRoutes(mux router, site *web.Site) {
	doc := openapi.JSON()
	page, ok := site.Page("api.html")
	if !ok {
		panic("the embedded site has no api.html")
	}
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.Write(doc) //nolint:errcheck // the client went away
	})
	mux.HandleFunc("GET /docs/api", func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, page, cachePage)
	})
}
