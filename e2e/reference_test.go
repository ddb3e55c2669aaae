package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"authme/internal/openapitest"
)

// The API reference page renders the OpenAPI document in Chromium, under the page's
// CSP (the tab's watcher fails a step on any violation or console error).
func TestAPIReference(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)
	doc, err := openapitest.Shared()
	if err != nil {
		t.Fatal(err)
	}

	tb.must("ListsEveryOperation", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/docs/api"), chromedp.WaitVisible(chromedp.ID("reference-toc")))
		text := eval[string](t, tb, `document.getElementById("main").innerText`)
		for _, want := range []string{"POST /api/session", "DELETE /api/sessions/{id}", "XSRF-Token", "Too many attempts, try again later", "Retry-After"} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not show %q", want)
			}
		}
		if n, want := eval[int](t, tb, `document.querySelectorAll("section.operation").length`), len(doc.Operations()); n != want {
			t.Errorf("%d operations shown, want %d", n, want)
		}
		if h := eval[int](t, tb, `document.querySelectorAll("h1").length`); h != 1 {
			t.Errorf("%d h1 headings, want 1", h)
		}
	})

	tb.must("Screenshot", func(t *testing.T) {
		tb.do(t, chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("reference-toc")))
		// The window, not the whole page: the reference has grown past the size Chromium
		// will capture in one image ("Page is too large").
		png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
			t.Fatalf("screenshot is %d bytes, not a PNG of a page", len(png))
		}
		dir := os.Getenv("AUTHME_SCREENSHOT_DIR")
		if dir == "" {
			dir = t.TempDir()
		}
		path := filepath.Join(dir, "authme-api-reference.png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	})
}
