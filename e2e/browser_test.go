package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one step's browser actions; the race detector makes argon2id slow.
const stepTimeout = 30 * time.Second

// chromium returns the browser to drive: $AUTHME_CHROMIUM when set, else Debian's
// chromium. Without one the test skips, or fails under AUTHME_REQUIRE_BROWSER=1 (CI).
func chromium(t *testing.T) string {
	t.Helper()
	candidates := []string{"chromium", "/usr/bin/chromium"}
	if env := os.Getenv("AUTHME_CHROMIUM"); env != "" {
		candidates = []string{env}
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no browser at %s: install Debian's chromium (apt-get install chromium) or set AUTHME_CHROMIUM",
		strings.Join(candidates, " or "))
	if os.Getenv("AUTHME_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (AUTHME_REQUIRE_BROWSER=1 makes this a failure)")
	}
	t.Skip(msg + "; skipping the browser tests")
	return ""
}

// startBrowser starts headless Chromium with a fresh profile, closed when the test ends.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	profile := t.TempDir() // removed after the browser has stopped: cleanups run last-in first-out
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	return ctx
}

// tab is one browser tab on the page under test. Each step checks the console and the
// CSP, and takes a screenshot; a failing test writes them all out.
type tab struct {
	t       *testing.T
	ctx     context.Context
	watch   *watcher
	shots   []screenshot
	allowed []allowedFailure
	marks   int
}

type screenshot struct {
	name string
	png  []byte
}

// allowedFailure is a request a step makes fail on purpose: the browser logs
// "Failed to load resource" for it, which is then no error.
type allowedFailure struct {
	path   string
	status int // 0: the request got no answer at all
}

// openTab opens a tab that watches the console and the CSP, with a 1280×900 window.
func openTab(t *testing.T) *tab {
	t.Helper()
	ctx := startBrowser(t)
	tb := &tab{t: t, ctx: ctx, watch: &watcher{}}
	if err := tb.watch.attach(ctx); err != nil {
		t.Fatalf("watch the console: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tb.saveScreenshotsIfFailed)
	return tb
}

// step runs one named step as a subtest and reports whether it passed. A step fails on
// any console error, exception or CSP violation it causes, except failed requests it
// allowed with allow.
func (tb *tab) step(name string, fn func(t *testing.T)) bool {
	tb.t.Helper()
	return tb.t.Run(name, func(t *testing.T) {
		tb.allowed = nil
		defer tb.capture(t, name)
		fn(t)
		tb.checkConsole(t)
	})
}

// must runs step and stops the test when it fails: later steps build on it.
func (tb *tab) must(name string, fn func(t *testing.T)) {
	tb.t.Helper()
	if !tb.step(name, fn) {
		tb.t.FailNow()
	}
}

// allow lets the current step make the browser log a failed request to path.
func (tb *tab) allow(path string, status int) {
	tb.allowed = append(tb.allowed, allowedFailure{path: path, status: status})
}

// do runs actions with the step timeout.
func (tb *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// text returns the visible text of the element with id, once it is visible.
func (tb *tab) text(t *testing.T, id string) string {
	t.Helper()
	tb.do(t, chromedp.WaitVisible(chromedp.ID(id)))
	return strings.TrimSpace(eval[string](t, tb, fmt.Sprintf(`document.getElementById(%q).innerText`, id)))
}

// fill types value into the input with id, as a person would.
func (tb *tab) fill(t *testing.T, id, value string) {
	t.Helper()
	eval[chromedp.Void](t, tb, fmt.Sprintf(`document.getElementById(%q).value = ""`, id))
	tb.do(t, chromedp.SendKeys(chromedp.ID(id), value))
}

// focused returns the id of the focused element.
func (tb *tab) focused(t *testing.T) string {
	t.Helper()
	return eval[string](t, tb, `document.activeElement ? document.activeElement.id : ""`)
}

// waitFor waits until a JavaScript condition holds.
func (tb *tab) waitFor(t *testing.T, cond string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

// checkConsole fails t for every console error, warning, exception and CSP violation
// since the last check, except failed requests the step allowed.
func (tb *tab) checkConsole(t *testing.T) {
	t.Helper()
	for _, p := range tb.consoleProblems(t) {
		t.Error(p)
	}
}

// consoleProblems returns and forgets what checkConsole complains about. A marker
// logged through the console makes sure every earlier message has arrived.
func (tb *tab) consoleProblems(t *testing.T) []string {
	t.Helper()
	tb.marks++
	mark := fmt.Sprintf("authme-e2e-mark-%d", tb.marks)
	eval[chromedp.Void](t, tb, fmt.Sprintf(`console.debug(%q)`, mark))
	msgs, csp, ok := tb.watch.drainUntil(mark, 5*time.Second)
	var out []string
	if !ok {
		out = append(out, "the console marker "+mark+" never arrived")
	}
	for _, v := range csp {
		out = append(out, "CSP violation: "+v)
	}
	for _, m := range msgs {
		if p := tb.problem(m); p != "" {
			out = append(out, "console "+p)
		}
	}
	return out
}

var failedStatus = regexp.MustCompile(`status of (\d{3})`)

// problem describes m if it is an error, warning or exception the step did not allow.
func (tb *tab) problem(m chromedp.ConsoleMessage) string {
	switch m.Type {
	case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException, "assert":
	default:
		return ""
	}
	if m.Source == "network" && m.URL != "" {
		u, err := url.Parse(m.URL)
		if err == nil {
			status := 0
			if s := failedStatus.FindStringSubmatch(m.Text); s != nil {
				fmt.Sscan(s[1], &status)
			}
			for _, a := range tb.allowed {
				if a.path == u.Path && a.status == status {
					return ""
				}
			}
		}
	}
	where := ""
	if m.URL != "" {
		where = fmt.Sprintf(" at %s:%d", m.URL, m.Line+1)
	}
	return fmt.Sprintf("%s%s: %s", m.Type, where, m.Text)
}

// capture keeps a screenshot of the tab after a step.
func (tb *tab) capture(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot after %s: %v", name, err)
		return
	}
	tb.shots = append(tb.shots, screenshot{name: name, png: png})
}

// saveScreenshotsIfFailed writes every step's screenshot when the test failed.
func (tb *tab) saveScreenshotsIfFailed() {
	if !tb.t.Failed() || len(tb.shots) == 0 {
		return
	}
	dir := screenshotDir(tb.t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Logf("screenshots: %v", err)
		return
	}
	for i, s := range tb.shots {
		name := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, safeName(s.name)))
		if err := os.WriteFile(name, s.png, 0o644); err != nil {
			tb.t.Logf("screenshots: %v", err)
			return
		}
	}
	tb.t.Logf("screenshots of each step: %s", dir)
}

// screenshotDir is $AUTHME_SCREENSHOTS/TestName, or e2e-screenshots/TestName at the
// repository root (git-ignored).
func screenshotDir(t *testing.T) string {
	root := os.Getenv("AUTHME_SCREENSHOTS")
	if root == "" {
		root = filepath.Join("..", "e2e-screenshots")
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return filepath.Join(root, safeName(t.Name()))
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// watcher collects the console (calls, exceptions, browser log entries) and the
// securitypolicyviolation events of a tab.
type watcher struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
	csp  []string
}

// cspListener reports every CSP violation in every document the tab loads, through a
// Go func the test exposes.
const cspListener = `document.addEventListener("securitypolicyviolation", (e) => {
  window.authmeE2EReportCSP({
    directive: e.effectiveDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  });
});`

type cspViolation struct {
	Directive string `json:"directive"`
	Blocked   string `json:"blocked"`
	Source    string `json:"source"`
	Line      int    `json:"line"`
	Sample    string `json:"sample"`
}

func (v cspViolation) String() string {
	return fmt.Sprintf("%s blocked %q (%s:%d) %q", v.Directive, v.Blocked, v.Source, v.Line, v.Sample)
}

func (w *watcher) attach(ctx context.Context) error {
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.msgs = append(w.msgs, m)
			w.mu.Unlock()
		}
	}()
	report := func(_ context.Context, v cspViolation) (chromedp.Void, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.csp = append(w.csp, v.String())
		return chromedp.Void{}, nil
	}
	if err := chromedp.Do(ctx, chromedp.ExposeFunc("authmeE2EReportCSP", report)); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
	return err
}

// drainUntil waits until the console message mark has arrived, then returns and forgets
// everything collected before it.
func (w *watcher) drainUntil(mark string, timeout time.Duration) (msgs []chromedp.ConsoleMessage, csp []string, ok bool) {
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		for i, m := range w.msgs {
			if m.Type == chromedp.ConsoleDebug && m.Text == mark {
				msgs = append(msgs, w.msgs[:i]...)
				w.msgs = append([]chromedp.ConsoleMessage(nil), w.msgs[i+1:]...)
				csp, w.csp = w.csp, nil
				w.mu.Unlock()
				return msgs, csp, true
			}
		}
		if time.Now().After(deadline) {
			msgs, w.msgs = w.msgs, nil
			csp, w.csp = w.csp, nil
			w.mu.Unlock()
			return msgs, csp, false
		}
		w.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}
