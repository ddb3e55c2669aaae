package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The console and CSP checks every step relies on do catch what they are for: a page
// with inline script and style under authme's CSP, and one that throws.
func TestWatcherCatches(t *testing.T) {
	tb := openTab(t)
	app := startServer(t)
	res, err := http.Get(app.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if csp == "" {
		t.Fatal("the real server sent no CSP")
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/inline":
			w.Write([]byte(`<!doctype html><title>x</title><p style="color:red">styled</p><script>document.title = "ran"</script>`))
		case "/throws.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(`console.error("oops"); throw new Error("boom");`))
		default:
			w.Write([]byte(`<!doctype html><title>x</title><script type="module" src="/throws.js"></script>`))
		}
	}))
	t.Cleanup(bad.Close)

	t.Run("CSPViolations", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(bad.URL+"/inline"))
		if title := eval[string](t, tb, `document.title`); title == "ran" {
			t.Fatal("the inline script ran: the CSP did not apply")
		}
		got := collect(t, tb, "CSP violation: script-src-elem", "CSP violation: style-src-attr")
		if !strings.Contains(got, "Content Security Policy") {
			t.Errorf("the browser's own CSP console error was not reported:\n%s", got)
		}
	})

	t.Run("ConsoleErrorAndException", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(bad.URL+"/"))
		collect(t, tb, "console error", "oops", "console exception", "boom")
	})
}

// collect gathers the watcher's complaints until each of want is among them.
func collect(t *testing.T, tb *tab, want ...string) string {
	t.Helper()
	var all []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		all = append(all, tb.consoleProblems(t)...)
		joined := strings.Join(all, "\n")
		missing := ""
		for _, w := range want {
			if !strings.Contains(joined, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return joined
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher did not report %q; it reported:\n%s", missing, joined)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
