// Package web is authme's page for people: index.html with its CSS, JavaScript modules
// and icon, and api.html, the API reference, embedded in the binary. Load fingerprints
// the assets, so each can be cached for a year under a name that changes with its
// bytes, and rewrites the references to them in the pages and in the other assets.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
)

// AssetPrefix is the URL path under which the fingerprinted assets are served.
const AssetPrefix = "/assets/"

//go:embed *.html assets
var files embed.FS

// Asset is one file ready to send.
type Asset struct {
	Name        string // the name it is served under: app.1f2e3d4c5b6a.js, or index.html
	ContentType string
	ETag        string // a strong validator made from the content hash
	Body        []byte
}

// Site is the pages and their fingerprinted assets. It is read-only once loaded.
type Site struct {
	pages  map[string]Asset  // by file name: index.html, api.html
	assets map[string]Asset  // by fingerprinted name
	names  map[string]string // source name → fingerprinted name
}

// Load prepares the embedded page.
func Load() (*Site, error) { return LoadFS(files) }

// LoadFS prepares the pages in fsys: index.html and any other .html file at its root,
// and the assets, flat, in assets/. A reference to an asset is a quoted "/assets/NAME"
// or "./NAME" (or url(...) in CSS); one that names no asset is an error, so a typo fails
// at start-up, not in a person's browser.
func LoadFS(fsys fs.FS) (*Site, error) {
	src := map[string][]byte{}
	entries, err := fs.ReadDir(fsys, "assets")
	if err != nil {
		return nil, fmt.Errorf("read assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			return nil, fmt.Errorf("assets/%s: assets must be files directly in assets/", e.Name())
		}
		if contentType(e.Name()) == "" {
			return nil, fmt.Errorf("assets/%s: no content type for this extension", e.Name())
		}
		b, err := fs.ReadFile(fsys, "assets/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read assets/%s: %w", e.Name(), err)
		}
		src[e.Name()] = b
	}
	s := &Site{pages: map[string]Asset{}, assets: map[string]Asset{}, names: map[string]string{}}
	r := resolver{src: src, site: s, visiting: map[string]bool{}}
	for _, name := range slices.Sorted(maps.Keys(src)) {
		if _, err := r.resolve(name); err != nil {
			return nil, err
		}
	}
	pages, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	for _, name := range pages {
		page, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		body, err := r.rewrite(name, page)
		if err != nil {
			return nil, err
		}
		s.pages[name] = Asset{Name: name, ContentType: contentType(name), ETag: `"` + contentHash(body) + `"`, Body: body}
	}
	if _, ok := s.pages["index.html"]; !ok {
		return nil, errors.New("read index.html: there is none")
	}
	return s, nil
}

// Index returns the page.
func (s *Site) Index() Asset { return s.pages["index.html"] }

// Page returns the page in the named file at the root, such as api.html.
func (s *Site) Page(name string) (Asset, bool) {
	a, ok := s.pages[name]
	return a, ok
}

// Asset returns the asset served under the fingerprinted name, if there is one.
func (s *Site) Asset(name string) (Asset, bool) {
	a, ok := s.assets[name]
	return a, ok
}

// Path returns the URL path of the asset whose source name is name ("app.js"), or ""
// when there is none.
func (s *Site) Path(name string) string {
	fp, ok := s.names[name]
	if !ok {
		return ""
	}
	return AssetPrefix + fp
}

// Assets lists the fingerprinted names, sorted.
func (s *Site) Assets() []string { return slices.Sorted(maps.Keys(s.assets)) }

// resolver fingerprints assets depth first, so an asset's hash covers the fingerprinted
// names of the assets it refers to: changing api.js changes app.js's name too.
type resolver struct {
	src      map[string][]byte
	site     *Site
	visiting map[string]bool
}

func (r resolver) resolve(name string) (string, error) {
	if fp, ok := r.site.names[name]; ok {
		return fp, nil
	}
	if r.visiting[name] {
		return "", fmt.Errorf("assets/%s: refers to itself through other assets; fingerprints need an order", name)
	}
	r.visiting[name] = true
	defer delete(r.visiting, name)
	body, err := r.rewrite("assets/"+name, r.src[name])
	if err != nil {
		return "", err
	}
	hash := contentHash(body)
	ext := path.Ext(name)
	fp := strings.TrimSuffix(name, ext) + "." + hash + ext
	r.site.names[name] = fp
	r.site.assets[fp] = Asset{Name: fp, ContentType: contentType(name), ETag: `"` + hash + `"`, Body: body}
	return fp, nil
}

// reference finds a quoted (or url()-wrapped) asset reference: the opening quote, the
// prefix, the name and the closing quote.
var reference = regexp.MustCompile(`(["'(])(/assets/|\./)([A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)+)(["')])`)

// rewrite replaces the asset references in a text file with their fingerprinted names.
func (r resolver) rewrite(file string, b []byte) ([]byte, error) {
	if !isText(file) {
		return b, nil
	}
	var errs []error
	out := reference.ReplaceAllFunc(b, func(m []byte) []byte {
		g := reference.FindSubmatch(m)
		name := string(g[3])
		if _, ok := r.src[name]; !ok {
			errs = append(errs, fmt.Errorf("%s refers to %s%s, which is not in assets/", file, g[2], name))
			return m
		}
		fp, err := r.resolve(name)
		if err != nil {
			errs = append(errs, err)
			return m
		}
		return slices.Concat(g[1], g[2], []byte(fp), g[4])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// contentType is the Content-Type for a file name, or "" for an extension the page
// does not use. Scripts are text/javascript, as the HTML standard asks for modules.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".webmanifest":
		return "application/manifest+json"
	}
	return ""
}

func isText(name string) bool {
	switch path.Ext(name) {
	case ".html", ".js", ".mjs", ".css", ".svg", ".webmanifest":
		return true
	}
	return false
}

// contentHash is the fingerprint of b: 48 bits of its SHA-256, in hex.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
