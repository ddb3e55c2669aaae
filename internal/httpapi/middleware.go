package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// saneRequestID accepts a client's X-Request-Id only when it is short and plain, so it
// cannot forge log lines or carry secrets of any size.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// requestIDs makes request ids: a random prefix per server, so ids from several
// instances never collide, and a counter. Ids need to be unique, not unpredictable.
type requestIDs struct {
	prefix []byte
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails on Linux
	return &requestIDs{prefix: []byte(hex.EncodeToString(b[:]) + "-")}
}

func (g *requestIDs) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	return string(strconv.AppendUint(b, g.n.Add(1), 36))
}

// recorder remembers the status and size of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// fromTrustedProxy reports whether the direct peer is one of TRUST_PROXY: only then are
// the headers a proxy adds (X-Request-Id here) believed.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	return len(s.trustProxy) > 0 && inPrefixes(remoteAddr(r), s.trustProxy)
}

// logRequests gives each request an id (echoed in X-Request-Id: a trusted proxy's own,
// when sane, so one id follows the request through both logs) and logs one line when
// it ends: morgan-"dev"-like text in development, JSON in production. Only the method,
// path (no query), status, duration, size and id are logged: never cookies, bodies or
// tokens.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) || !s.fromTrustedProxy(r) {
			id = s.requestIDs.next()
		}
		w.Header()["X-Request-Id"] = []string{id}
		r, info := withState(r)
		info.id = id
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		if s.observe != nil {
			s.observe(info.pattern, rec.status, d)
		}
		// Load balancers poll the health endpoints: keep them out of the default log.
		level := slog.LevelInfo
		if info.pattern == "GET /healthz" || info.pattern == "GET /readyz" {
			level = slog.LevelDebug
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		if s.prod {
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.Int("bytes", rec.bytes), slog.String("request_id", id))
			return
		}
		// The message is written as is, so the path goes in escaped: a decoded %0A in it
		// would start a forged log line.
		s.log.LogAttrs(r.Context(), level, fmt.Sprintf("%s %s %d %.3f ms - %d", r.Method, r.URL.EscapedPath(), rec.status, float64(d.Microseconds())/1000, rec.bytes),
			slog.String("request_id", id))
	})
}

// recoverPanics turns a panicking handler into a logged stack and a JSON 500; the server
// keeps serving.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, errInternalBody)
		}()
		next.ServeHTTP(w, r)
	})
}

// Content-Security-Policy values: the page may load only its own scripts and styles.
const (
	cspDevelopment = "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'"
	cspProduction  = cspDevelopment + "; upgrade-insecure-requests"
)

// securityHeaders sets what helmet sets by default, with the seed's cross-origin
// resource policy, and HSTS in production. helmet's three headers for retired browsers
// and plug-ins (X-Download-Options for IE8, X-XSS-Protection: 0,
// X-Permitted-Cross-Domain-Policies for Flash) are left out: every response pays for
// each header it carries. Every /api/ answer also gets Cache-Control: no-store. The
// values are built once and shared by every response (net/http never modifies them), so
// the headers cost no allocations.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	csp := cspDevelopment
	if s.prod {
		csp = cspProduction
	}
	headers := http.Header{
		"Content-Security-Policy":      {csp},
		"Cross-Origin-Opener-Policy":   {"same-origin"},
		"Cross-Origin-Resource-Policy": {"cross-origin"},
		"Origin-Agent-Cluster":         {"?1"},
		"Referrer-Policy":              {"no-referrer"},
		"X-Content-Type-Options":       {"nosniff"},
		"X-Dns-Prefetch-Control":       {"off"},
		"X-Frame-Options":              {"SAMEORIGIN"},
	}
	if s.prod {
		headers["Strict-Transport-Security"] = []string{"max-age=31536000; includeSubDomains"}
	}
	// API answers hold user data, tokens or Set-Cookie: no cache, private or shared,
	// may keep one. Errors too, so the rule has no exceptions to get wrong.
	noStore := []string{"no-store"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range headers {
			h[k] = v
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h["Cache-Control"] = noStore
		}
		next.ServeHTTP(w, r)
	})
}

// errChunked answers a request whose body is framed by Transfer-Encoding.
var errChunked = &httpError{status: http.StatusLengthRequired, message: "Length Required",
	fields: map[string]string{"body": "send the body with Content-Length; Transfer-Encoding is not accepted"}}

// refuseChunked answers 411 to any request sent with Transfer-Encoding, and closes the
// connection after it. A request carrying both Transfer-Encoding and Content-Length is
// how requests are smuggled past a proxy that reads the other header (RFC 9112 §6.1: the
// connection must close), and net/http drops the Content-Length before a handler could
// tell. No browser or authenticate-me frontend sends a chunked request, so refusing them
// all costs nothing and leaves no framing for a proxy and authme to read differently.
func (s *Server) refuseChunked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header()["Connection"] = connectionClose
			s.writeError(w, r, errChunked)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// connectionClose is the shared Connection header value; net/http only reads it.
var connectionClose = []string{"close"}
