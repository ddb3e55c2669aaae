package web_test

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"authme/web"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	site, err := web.Load()
	if err != nil {
		t.Fatal(err)
	}
	index := string(site.Index().Body)

	t.Run("EveryAssetIsFingerprinted", func(t *testing.T) {
		names := site.Assets()
		if len(names) == 0 {
			t.Fatal("no assets")
		}
		fp := regexp.MustCompile(`^[a-z-]+\.[0-9a-f]{12}\.[a-z]+$`)
		for _, n := range names {
			if !fp.MatchString(n) {
				t.Errorf("%s is not NAME.HASH.EXT", n)
			}
			a, _ := site.Asset(n)
			if a.ContentType == "" || len(a.Body) == 0 || a.ETag == "" {
				t.Errorf("%s: type %q, %d bytes, ETag %q", n, a.ContentType, len(a.Body), a.ETag)
			}
		}
	})

	t.Run("IndexRefersOnlyToFingerprintedAssets", func(t *testing.T) {
		for _, src := range []string{"app.js", "api.js", "forms.js", "app.css", "icon.svg", "reference.js", "reference.css"} {
			p := site.Path(src)
			if p == "" {
				t.Errorf("no fingerprinted path for %s", src)
				continue
			}
			if src != "api.js" && src != "forms.js" && !strings.HasPrefix(src, "reference.") && !strings.Contains(index, `"`+p+`"`) {
				t.Errorf("index.html does not refer to %s", p)
			}
		}
		for _, m := range regexp.MustCompile(`"/assets/([^"]+)"`).FindAllStringSubmatch(index, -1) {
			if _, ok := site.Asset(m[1]); !ok {
				t.Errorf("index.html refers to /assets/%s, which is not served", m[1])
			}
		}
	})

	t.Run("ModulesImportFingerprintedModules", func(t *testing.T) {
		app, ok := site.Asset(strings.TrimPrefix(site.Path("app.js"), web.AssetPrefix))
		if !ok {
			t.Fatal("no app.js")
		}
		for _, dep := range []string{"api.js", "forms.js"} {
			want := `"./` + strings.TrimPrefix(site.Path(dep), web.AssetPrefix) + `"`
			if !strings.Contains(string(app.Body), want) {
				t.Errorf("app.js does not import %s", want)
			}
		}
	})

	// The CSP allows only the page's own files: no inline script, style or handler.
	for _, tc := range []struct{ page, script string }{{"index.html", "app.js"}, {"api.html", "reference.js"}} {
		page, ok := site.Page(tc.page)
		if !ok {
			t.Fatalf("no %s", tc.page)
		}
		body := string(page.Body)
		t.Run("NoInlineCodeIn"+tc.page, func(t *testing.T) {
			scripts := regexp.MustCompile(`(?s)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(body, -1)
			for _, m := range scripts {
				if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
					t.Errorf("%s has an inline script: %q", tc.page, m[0])
				}
			}
			for _, bad := range []string{"<style", " style=", "javascript:"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s has %q", tc.page, bad)
				}
			}
			if m := regexp.MustCompile(`\son[a-z]+\s*=`).FindString(body); m != "" {
				t.Errorf("%s has an inline event handler: %q", tc.page, m)
			}
			if want := `<script type="module" src="` + site.Path(tc.script) + `"`; !strings.Contains(body, want) {
				t.Errorf("%s does not load %s as a module (%s)", tc.page, tc.script, want)
			}
		})
	}
}

func TestLoadFS(t *testing.T) {
	t.Parallel()
	page := func(assets map[string]string, index string) fstest.MapFS {
		fsys := fstest.MapFS{"index.html": {Data: []byte(index)}}
		for name, body := range assets {
			fsys["assets/"+name] = &fstest.MapFile{Data: []byte(body)}
		}
		return fsys
	}

	t.Run("DependencyChangeChangesImporterName", func(t *testing.T) {
		index := `<script type="module" src="/assets/main.js"></script>`
		a, err := web.LoadFS(page(map[string]string{"main.js": `import "./dep.js";`, "dep.js": "1"}, index))
		if err != nil {
			t.Fatal(err)
		}
		b, err := web.LoadFS(page(map[string]string{"main.js": `import "./dep.js";`, "dep.js": "2"}, index))
		if err != nil {
			t.Fatal(err)
		}
		if a.Path("main.js") == b.Path("main.js") {
			t.Errorf("main.js kept its name %s although dep.js changed", a.Path("main.js"))
		}
		if !strings.Contains(string(b.Index().Body), `"`+b.Path("main.js")+`"`) {
			t.Errorf("index.html = %s, want a reference to %s", b.Index().Body, b.Path("main.js"))
		}
	})

	t.Run("CSSURLIsRewritten", func(t *testing.T) {
		s, err := web.LoadFS(page(map[string]string{"a.css": `b{background:url(./i.svg)}`, "i.svg": "<svg/>"}, `<link href="/assets/a.css">`))
		if err != nil {
			t.Fatal(err)
		}
		css, _ := s.Asset(strings.TrimPrefix(s.Path("a.css"), web.AssetPrefix))
		if want := "url(./" + strings.TrimPrefix(s.Path("i.svg"), web.AssetPrefix) + ")"; !strings.Contains(string(css.Body), want) {
			t.Errorf("a.css = %s, want %s", css.Body, want)
		}
	})

	for _, tc := range []struct {
		name   string
		assets map[string]string
		index  string
		want   string
	}{
		{"ErrMissingAsset", map[string]string{"a.js": ""}, `<script src="/assets/b.js"></script>`, "b.js, which is not in assets/"},
		{"ErrMissingImport", map[string]string{"a.js": `import "./c.js";`}, `<script src="/assets/a.js"></script>`, "c.js, which is not in assets/"},
		{"ErrCycle", map[string]string{"a.js": `import "./b.js";`, "b.js": `import "./a.js";`}, ``, "refers to itself"},
		{"ErrUnknownType", map[string]string{"a.exe": ""}, ``, "no content type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := web.LoadFS(page(tc.assets, tc.index))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
