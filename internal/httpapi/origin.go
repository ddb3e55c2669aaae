package httpapi

import (
	"net/http"
	"strings"
)

// origins is the set of trusted origins from CORS_ORIGINS: exact ones
// ("https://app.example.com") and any-port ones ("http://localhost:*").
type origins struct {
	exact   map[string]bool
	anyPort []string // "http://localhost": matches itself and itself + ":<port>"
}

func newOrigins(patterns []string) origins {
	o := origins{exact: map[string]bool{}}
	for _, p := range patterns {
		if base, ok := strings.CutSuffix(p, ":*"); ok {
			o.anyPort = append(o.anyPort, base)
		} else {
			o.exact[strings.TrimSuffix(p, "/")] = true
		}
	}
	return o
}

// trusted reports whether origin is one of ours.
func (o origins) trusted(origin string) bool {
	if origin == "" {
		return false
	}
	if o.exact[origin] {
		return true
	}
	for _, base := range o.anyPort {
		if origin == base {
			return true
		}
		if rest, ok := strings.CutPrefix(origin, base+":"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

var errCrossOrigin = &httpError{status: http.StatusForbidden, message: "Cross-origin request refused"}

// crossOrigin refuses unsafe requests from other origins with Go's CrossOriginProtection
// (Sec-Fetch-Site, then Origin against Host), on top of the CSRF token: a stolen or
// leaked token is not enough from another site. Trusted origins pass.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.origins.trusted(r.Header.Get("Origin")) {
			if err := cop.Check(r); err != nil {
				s.writeError(w, r, errCrossOrigin)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// cors answers browsers on behalf of trusted origins (development only): the origin is
// echoed with credentials allowed, never "*". Other origins get no CORS headers.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		if !s.origins.trusted(origin) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
			if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
				h.Set("Access-Control-Allow-Headers", rh)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
