package httpapi_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/httpapi"
	"authme/internal/login"
	"authme/internal/password"
	"authme/internal/session"
	"authme/internal/testdb"
)

// pageServer starts the real server on a fresh SQLite database.
func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	db := testdb.Targets(t)[0].Migrated(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	users, err := auth.NewService(db, password.NewArgon2id(password.OWASP), log)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{
		Log:      log,
		Accounts: login.New(users, session.NewManager(db, key, time.Hour, 0, time.Now), db),
		Sessions: session.NewManager(db, key, time.Hour, 0, time.Now),
		CSRFKey:  key,
		Now:      time.Now,
	}))
	t.Cleanup(srv.Close)
	return srv
}

func pageGet(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var pageAssetRef = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)

func TestPage(t *testing.T) {
	t.Parallel()
	srv := pageServer(t)
	res, body := pageGet(t, srv.URL+"/", nil)

	t.Run("IndexIsHTMLWithCSPAndXSRFCookie", func(t *testing.T) {
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200", res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP allows inline code: %q", csp)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control = %q, want no-cache", got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("X-Content-Type-Options is not nosniff")
		}
		var xsrf *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "XSRF-TOKEN" {
				xsrf = c
			}
		}
		if xsrf == nil || xsrf.Value == "" {
			t.Fatal("no XSRF-TOKEN cookie on the page's response")
		}
		if xsrf.HttpOnly {
			t.Error("XSRF-TOKEN is HttpOnly; the page's script must read it")
		}
		if !strings.Contains(body, `<script type="module" src="/assets/app.`) {
			t.Error("the page does not load its module script from /assets/")
		}
	})

	t.Run("IndexTokenPassesCSRF", func(t *testing.T) {
		// The token from GET / alone is enough for an unsafe request.
		var cookies []string
		var token string
		for _, c := range res.Cookies() {
			cookies = append(cookies, c.Name+"="+c.Value)
			if c.Name == "XSRF-TOKEN" {
				token = c.Value
			}
		}
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/session", nil)
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
		req.Header.Set("XSRF-Token", token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Errorf("DELETE /api/session with the page's token: status %d, want 200", r.StatusCode)
		}
	})

	t.Run("AssetsAreFingerprintedImmutableAndTyped", func(t *testing.T) {
		refs := pageAssetRef.FindAllStringSubmatch(body, -1)
		if len(refs) < 4 {
			t.Fatalf("found %d asset references in the page, want the icon, CSS and scripts", len(refs))
		}
		want := map[string]string{
			".js":  "text/javascript; charset=utf-8",
			".css": "text/css; charset=utf-8",
			".svg": "image/svg+xml",
		}
		fingerprinted := regexp.MustCompile(`^/assets/[a-z-]+\.[0-9a-f]{12}\.[a-z]+$`)
		for _, m := range refs {
			path := m[1]
			if !fingerprinted.MatchString(path) {
				t.Errorf("%s is not a fingerprinted name", path)
			}
			r, b := pageGet(t, srv.URL+path, nil)
			if r.StatusCode != http.StatusOK || b == "" {
				t.Errorf("GET %s: status %d, %d bytes", path, r.StatusCode, len(b))
				continue
			}
			ext := path[strings.LastIndexByte(path, '.'):]
			if ct := r.Header.Get("Content-Type"); ct != want[ext] {
				t.Errorf("GET %s: Content-Type %q, want %q", path, ct, want[ext])
			}
			if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("GET %s: Cache-Control %q", path, cc)
			}
			if r.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("GET %s: no CSP", path)
			}
			etag := r.Header.Get("ETag")
			if etag == "" {
				t.Errorf("GET %s: no ETag", path)
				continue
			}
			if r304, _ := pageGet(t, srv.URL+path, http.Header{"If-None-Match": {etag}}); r304.StatusCode != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match: status %d, want 304", path, r304.StatusCode)
			}
		}
	})

	t.Run("HeadIndexHasNoBody", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodHead, srv.URL+"/", nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || len(b) != 0 {
			t.Errorf("HEAD /: status %d, %d bytes", r.StatusCode, len(b))
		}
	})
}

// The links in mail open the page at their own paths; the token is in the fragment,
// which the browser never sends.
func TestPageAtMailLinks(t *testing.T) {
	t.Parallel()
	srv := pageServer(t)
	_, index := pageGet(t, srv.URL+"/", nil)
	for _, path := range []string{"/reset-password", "/verify-email", "/confirm-email", "/undo-email-change"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			t.Parallel()
			res, body := pageGet(t, srv.URL+path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", path, res.StatusCode)
			}
			if body != index {
				t.Errorf("GET %s is not the page at /", path)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("GET %s: Cache-Control = %q, want no-cache", path, got)
			}
			hasToken := false
			for _, c := range res.Cookies() {
				hasToken = hasToken || (c.Name == "XSRF-TOKEN" && c.Value != "")
			}
			if !hasToken {
				t.Errorf("GET %s: no XSRF-TOKEN cookie, so the page's first unsafe request needs another round trip", path)
			}
			if r, _ := pageGet(t, srv.URL+path+"/x", nil); r.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s/x: status %d, want 404", path, r.StatusCode)
			}
		})
	}
}

func TestPageNotFound(t *testing.T) {
	t.Parallel()
	srv := pageServer(t)
	for _, tc := range []struct{ name, path string }{
		{"UnknownAPIPath", "/api/x"},
		{"UnknownAPIPathUnderSession", "/api/session/x"},
		{"UnknownPage", "/nope"},
		{"UnfingerprintedAsset", "/assets/app.js"},
		{"UnknownAsset", "/assets/nope.0123456789ab.js"},
		{"AssetFolder", "/assets/"},
		{"IndexByName", "/index.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := pageGet(t, srv.URL+tc.path, nil)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("GET %s: status %d, want 404", tc.path, res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("GET %s: Content-Type %q, want JSON", tc.path, ct)
			}
			var e struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Message == "" {
				t.Errorf("GET %s: body %q is not the JSON error", tc.path, body)
			}
		})
	}
}
