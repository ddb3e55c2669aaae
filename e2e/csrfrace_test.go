package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// firstVisit is what an authenticate-me React frontend does when it loads without
// cookies: restoreCSRF and restoreUser at once, then, once both have answered, a log-in
// carrying the XSRF-TOKEN cookie in the XSRF-Token header. The promise is left on window
// so the test can release held answers first.
const firstVisit = `window.authmeVisit = (async () => {
  const restore = fetch("/api/csrf/restore", {credentials: "include"}).then(r => r.text()).then(() => { window.authmeRestored = true; });
  const session = fetch("/api/session", {credentials: "include"}).then(r => r.text()).then(() => { window.authmeSessionRestored = true; });
  await Promise.all([restore, session]);
  const m = document.cookie.match(/(?:^|; )XSRF-TOKEN=([^;]*)/);
  const res = await fetch("/api/session", {
    method: "POST",
    credentials: "include",
    headers: {"Content-Type": "application/json", "XSRF-Token": m ? decodeURIComponent(m[1]) : ""},
    body: JSON.stringify({credential: "Demo-lition", password: "password"}),
  });
  return res.status + " " + await res.text();
})(), true`

// TestFirstVisitRace: from a fresh browser context, the two first requests of an
// authenticate-me frontend race, and the log-in that follows succeeds whichever answer
// lands last: each answer that sets a CSRF secret sets the matching XSRF-TOKEN.
func TestFirstVisitRace(t *testing.T) {
	browser := startBrowser(t)
	srv := startServer(t)
	rounds := []struct {
		name string
		hold string // the route whose answer waits until the other has landed
		done string // the window flag that says the other has landed
	}{
		{"SessionAnswerLandsLast", "GET /api/session", "authmeRestored"},
		{"RestoreAnswerLandsLast", "GET /api/csrf/restore", "authmeSessionRestored"},
	}
	for i := range 10 {
		rounds = append(rounds, struct{ name, hold, done string }{name: fmt.Sprintf("Concurrent%d", i+1)})
	}
	for _, rd := range rounds {
		t.Run(rd.name, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
			defer cancel()
			if err := chromedp.Do(ctx); err != nil { // opens the tab: no timeout on this first call
				t.Fatalf("new browser context: %v", err)
			}
			run := func(actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				sctx, scancel := context.WithTimeout(ctx, stepTimeout)
				defer scancel()
				if err := chromedp.Do(sctx, actions...); err != nil {
					t.Fatalf("browser: %v", err)
				}
			}
			// A document on the server's origin that runs no script of its own; then no
			// cookies at all, as on a first visit.
			// The browser may still fetch /favicon.ico after the load event, and that
			// answer sets cookies too: clear until nothing arrives any more.
			run(chromedp.Navigate(srv.URL + "/hello/world"))
			for try := 0; ; try++ {
				run(clearCookies)
				time.Sleep(100 * time.Millisecond)
				n := cookieCount(t, ctx, srv.URL)
				if n == 0 {
					break
				}
				if try == 10 {
					t.Fatalf("%d cookies left in the fresh context", n)
				}
			}
			if rd.hold != "" {
				srv.faults.set(rd.hold, fault{hold: make(chan struct{})})
				defer srv.faults.clear(rd.hold)
			}
			run(chromedp.Evaluate[chromedp.Void](firstVisit))
			if rd.hold != "" {
				sctx, scancel := context.WithTimeout(ctx, stepTimeout)
				_, err := chromedp.Run(sctx, chromedp.Poll[bool]("window."+rd.done+" === true"))
				scancel()
				if err != nil {
					t.Fatalf("waiting for the first answer: %v", err)
				}
				srv.faults.clear(rd.hold) // the held answer lands now, last
			}
			sctx, scancel := context.WithTimeout(ctx, stepTimeout)
			defer scancel()
			got, err := chromedp.Run(sctx, chromedp.Evaluate[string]("window.authmeVisit", chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("first visit: %v", err)
			}
			if !strings.HasPrefix(got, "200 ") {
				t.Fatalf("first log-in after the racing requests: %s, want 200", got)
			}
		})
	}
}

// clearCookies removes every cookie of the tab's browser context.
func clearCookies(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
	_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
	return chromedp.Void{}, err
}

// cookieCount is how many cookies the tab holds for url, HttpOnly ones included.
func cookieCount(t *testing.T, ctx context.Context, url string) int {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	return len(res.Cookies)
}
