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
		for _, src := range []string{"app.js", "api.js", "forms.js", "app.css", "icon.svg"} {
			p := site.Path(src)
			if p == "" {
				t.Errorf("no fingerprinted path for %s", src)
				continue
			}
			if src != "api.js" && src != "forms.js" && !strings.Contains(index, `"`+p+`"`) {
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
	t.Run("IndexHasNoInlineCode", func(t *testing.T) {
		scripts := regexp.MustCompile(`(?s)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(index, -1)
		for _, m := range scripts {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("index.html has an inline script: %q", m[0])
			}
		}
		for _, bad := range []string{"<style", " style=", "javascript:"} {
			if strings.Contains(index, bad) {
				t.Errorf("index.html has %q", bad)
			}
		}
		if m := regexp.MustCompile(`\son[a-z]+\s*=`).FindString(index); m != "" {
			t.Errorf("index.html has an inline event handler: %q", m)
		}
		if !strings.Contains(index, `<script type="module" src="`) {
			t.Error("index.html does not load app.js as a module")
		}
	})
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
