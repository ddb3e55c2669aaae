package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"authme/internal/recovery"
	"authme/web"
)

// Cache-Control values: the page is checked on every visit, so a new release shows at
// once; an asset's name changes with its bytes, so it never needs checking.
const (
	cachePage  = "no-cache"
	cacheAsset = "public, max-age=31536000, immutable"
)

// pageRoutes serves the embedded page at / and at the paths of the links in mail, and
// its fingerprinted assets under /assets/. Anything else under /assets/ falls through to
// the JSON 404. It returns the site for the other pages.
func (s *Server) pageRoutes(mux router) *web.Site {
	site, err := web.Load()
	if err != nil {
		// The files are compiled in and web's tests load them: this is a build mistake.
		panic(fmt.Sprintf("load the embedded page: %v", err))
	}
	page := s.handlePage(site)
	mux.HandleFunc("GET /{$}", page)
	// A link in mail carries its token in the fragment, which the browser keeps to
	// itself: the page reads it, so no token reaches a server log or a Referer.
	for _, p := range []string{recovery.PathReset, recovery.PathVerify, recovery.PathEmailChange, recovery.PathEmailUndo} {
		mux.HandleFunc("GET "+p, page)
	}
	mux.HandleFunc("GET "+web.AssetPrefix+"{name}", s.handleAsset(site))
	return site
}

// handlePage sends index.html with a fresh XSRF-TOKEN cookie, so the page can make
// unsafe requests without asking for a token first.
func (s *Server) handlePage(site *web.Site) http.HandlerFunc {
	page := site.Index()
	return func(w http.ResponseWriter, r *http.Request) {
		s.handOutToken(w, r)
		serveAsset(w, r, page, cachePage)
	}
}

// handleAsset sends one fingerprinted asset, cached for a year.
func (s *Server) handleAsset(site *web.Site) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := site.Asset(r.PathValue("name"))
		if !ok {
			s.writeError(w, r, errNotFound)
			return
		}
		serveAsset(w, r, a, cacheAsset)
	}
}

// serveAsset sends a with its type and validator; http.ServeContent answers HEAD,
// If-None-Match and ranges.
func serveAsset(w http.ResponseWriter, r *http.Request, a web.Asset, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", a.ETag)
	http.ServeContent(w, r, a.Name, time.Time{}, bytes.NewReader(a.Body))
}
