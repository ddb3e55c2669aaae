package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"authme/internal/passkey/passkeytest"
)

// The passkey case (issue 15): what does a log-in with a passkey cost next to a log-in
// with a password, on the same machine and server? The password's cost is Argon2id; the
// passkey's is two requests (begin, finish), a challenge written and spent, one ECDSA
// verification and the passkey's counter kept. Phases alternate: password, passkey,
// password, each for --duration with the same number of Go client workers; the two
// password phases show whether the machine's speed changed meanwhile.

// passkeyOrigin is the page's origin authme is told to accept (WEBAUTHN_ORIGINS): the
// software authenticator writes it into its client data. Requests go to 127.0.0.1,
// which WebAuthn refuses as a relying party; the relying party is localhost.
const passkeyOrigin = "http://localhost:8000"

// passkeyReport is the case's JSON.
type passkeyReport struct {
	Date         string  `json:"date"`
	Command      string  `json:"command"`
	Machine      machine `json:"machine"`
	Database     string  `json:"database"`
	Duration     string  `json:"duration_per_phase"`
	Workers      int     `json:"workers"`
	LoadAvg      string  `json:"load_average_before"`
	LoadAvgAfter string  `json:"load_average_after"`

	PasswordBefore loginPhase `json:"password_before"`
	Passkey        loginPhase `json:"passkey"`
	PasswordAfter  loginPhase `json:"password_after"`
	// Ratio is passkey log-ins a second over the mean of the two password phases'.
	Ratio float64 `json:"passkey_over_password"`
	// LatencyRatio is the passkey log-in's p50 over the password phases' mean p50.
	LatencyRatio float64 `json:"p50_passkey_over_password"`
	// PasswordDrift is how far apart the two password phases are, over the faster.
	PasswordDrift float64    `json:"password_drift"`
	AuthmeLog     logSummary `json:"authme_log"`
}

// loginPhase is one phase's figures. A passkey log-in is its two requests, begin and
// finish, timed together: what the person waits for (less the authenticator).
type loginPhase struct {
	Method    string         `json:"method"`
	Seconds   float64        `json:"seconds"`
	Logins    int64          `json:"logins"` // log-ins answered 200 with a session
	Failed    int64          `json:"failed"` // any other answer, or none
	LoginsPS  float64        `json:"logins_per_s"`
	Requests  int64          `json:"requests"`
	RPS       float64        `json:"requests_per_s"`
	P50ms     float64        `json:"p50_ms"`
	P99ms     float64        `json:"p99_ms"`
	MaxMs     float64        `json:"max_ms"`
	Statuses  map[string]int `json:"statuses"`
	FirstFail string         `json:"first_failure,omitempty"`
}

// runPasskey runs the case alone, with authme built at authmeBin.
func runPasskey(ctx context.Context, o options, args []string, tmp, authmeBin string, cl *cleanups, stdout io.Writer, logf func(string, ...any)) error {
	workers := 2 * runtime.NumCPU()
	rep := &passkeyReport{
		Date:     time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Command:  command(args),
		Machine:  describeMachine(false),
		Database: "sqlite",
		Duration: o.duration.String(),
		Workers:  workers,
	}
	schema := ""
	if o.postgres != "" {
		rep.Database, schema = "postgres", benchSchema()
		cl.add(func() {
			if err := dropSchema(o.postgres, schema); err != nil {
				logf("could not drop schema %s: %v", schema, err)
			}
		})
	}
	env := authmeEnv(tmp, o.postgres, schema)
	env["WEBAUTHN_RP_ID"] = "localhost"
	env["WEBAUTHN_ORIGINS"] = passkeyOrigin
	a := authmeRun{bin: authmeBin, dir: tmp, env: env}
	ap, base, authmeLog, err := a.startAlone(ctx, rep.Database, logf, cl)
	if err != nil {
		return err
	}

	// One keep-alive connection per worker, as wrk holds them.
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	logf("registering %d passkeys for the demo user (one a worker: an authenticator's counter is one at a time)", workers)
	keys := make([]*passkeytest.Authenticator, workers)
	for i := range keys {
		if keys[i], err = registerPasskey(ctx, hc, base); err != nil {
			return fmt.Errorf("register a passkey: %w", err)
		}
	}
	// Each worker is a browser with its CSRF pair, as a page holds it before logging in.
	browsers := make([]*benchBrowser, workers)
	for i := range browsers {
		if browsers[i], err = newBenchBrowser(ctx, hc, base); err != nil {
			return err
		}
	}
	// A first log-in of each kind, outside the timing, so that a broken setup fails here.
	if _, err := browsers[0].passwordLogin(ctx); err != nil {
		return fmt.Errorf("password log-in: %w", err)
	}
	if _, err := browsers[0].passkeyLogin(ctx, keys[0]); err != nil {
		return fmt.Errorf("passkey log-in: %w", err)
	}
	time.Sleep(settle)

	rep.LoadAvg = loadAvg()
	phase := func(method string) loginPhase {
		logf("%s log-ins, %s, %d workers", method, o.duration, workers)
		p := runLoginPhase(ctx, method, o.duration, browsers, keys)
		time.Sleep(settle)
		return p
	}
	rep.PasswordBefore = phase("password")
	rep.Passkey = phase("passkey")
	rep.PasswordAfter = phase("password")
	rep.LoadAvgAfter = loadAvg()
	if err := ctx.Err(); err != nil {
		return err
	}
	if p := (rep.PasswordBefore.LoginsPS + rep.PasswordAfter.LoginsPS) / 2; p > 0 {
		rep.Ratio = rep.Passkey.LoginsPS / p
		hi := max(rep.PasswordBefore.LoginsPS, rep.PasswordAfter.LoginsPS)
		rep.PasswordDrift = (hi - min(rep.PasswordBefore.LoginsPS, rep.PasswordAfter.LoginsPS)) / hi
	}
	if p := (rep.PasswordBefore.P50ms + rep.PasswordAfter.P50ms) / 2; p > 0 {
		rep.LatencyRatio = rep.Passkey.P50ms / p
	}
	ap.stop()
	rep.AuthmeLog = summarizeLog(authmeLog)

	fmt.Fprintln(stdout)
	rep.writeText(stdout)
	var failed []string
	for _, p := range []loginPhase{rep.PasswordBefore, rep.Passkey, rep.PasswordAfter} {
		if p.Logins == 0 {
			failed = append(failed, fmt.Sprintf("no %s log-in succeeded (%s)", p.Method, p.FirstFail))
		}
	}
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// runLoginPhase has every browser log in with method, back to back, until d has passed;
// a log-in under way then is finished and counted.
func runLoginPhase(ctx context.Context, method string, d time.Duration, browsers []*benchBrowser, keys []*passkeytest.Authenticator) loginPhase {
	type tally struct {
		took     []time.Duration
		requests int64
		failed   int64
		statuses map[string]int
		first    string
	}
	tallies := make([]tally, len(browsers))
	t0 := time.Now()
	end := t0.Add(d)
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() {
			t := &tallies[i]
			t.statuses = map[string]int{}
			for time.Now().Before(end) && ctx.Err() == nil {
				start := time.Now()
				var st loginStatus
				var err error
				if method == "passkey" {
					st, err = b.passkeyLogin(ctx, keys[i])
				} else {
					st, err = b.passwordLogin(ctx)
				}
				t.requests += int64(st.requests)
				t.statuses[strconv.Itoa(st.status)]++
				if err != nil {
					t.failed++
					if t.first == "" {
						t.first = err.Error()
					}
					continue
				}
				t.took = append(t.took, time.Since(start))
			}
		})
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	p := loginPhase{Method: method, Seconds: secs, Statuses: map[string]int{}}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.took...)
		p.Requests += t.requests
		p.Failed += t.failed
		for k, v := range t.statuses {
			p.Statuses[k] += v
		}
		if p.FirstFail == "" {
			p.FirstFail = t.first
		}
	}
	slices.Sort(all)
	p.Logins = int64(len(all))
	p.LoginsPS, p.RPS = float64(p.Logins)/secs, float64(p.Requests)/secs
	if n := len(all); n > 0 {
		ms := func(q float64) float64 { return float64(all[min(n-1, int(q*float64(n)))].Microseconds()) / 1000 }
		p.P50ms, p.P99ms, p.MaxMs = ms(0.50), ms(0.99), float64(all[n-1].Microseconds())/1000
	}
	return p
}

// benchBrowser is one page before its log-in: the CSRF pair, sent with every request.
// The session cookie a log-in sets is not kept: each log-in is a new one.
type benchBrowser struct {
	hc         *http.Client
	base       string
	xsrf, csrf string
}

func newBenchBrowser(ctx context.Context, hc *http.Client, base string) (*benchBrowser, error) {
	b := &benchBrowser{hc: hc, base: base}
	res, err := b.send(ctx, "GET", "/api/csrf/restore", "")
	if err != nil {
		return nil, err
	}
	for _, ck := range res.cookies {
		switch ck.Name {
		case "XSRF-TOKEN":
			b.xsrf = ck.Value
		case "_csrf":
			b.csrf = ck.Value
		}
	}
	if b.xsrf == "" || b.csrf == "" {
		return nil, errors.New("no CSRF cookies from /api/csrf/restore")
	}
	return b, nil
}

type benchAnswer struct {
	status  int
	body    []byte
	cookies []*http.Cookie
}

func (b *benchBrowser) send(ctx context.Context, method, path, body string) (benchAnswer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return benchAnswer{}, err
	}
	if b.csrf != "" {
		req.Header.Set("Cookie", "_csrf="+b.csrf+"; XSRF-TOKEN="+b.xsrf)
		req.Header.Set("XSRF-Token", b.xsrf)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return benchAnswer{}, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return benchAnswer{status: res.StatusCode, body: out, cookies: res.Cookies()}, err
}

// loginStatus is how a log-in went: the last status answered, and how many requests.
type loginStatus struct {
	status   int
	requests int
}

// passwordLogin is POST /api/session as the demo user.
func (b *benchBrowser) passwordLogin(ctx context.Context) (loginStatus, error) {
	res, err := b.send(ctx, "POST", "/api/session", demoLogin)
	st := loginStatus{status: res.status, requests: 1}
	if err != nil {
		return st, err
	}
	return st, wantSession(res)
}

// passkeyLogin is begin → the authenticator signs → finish.
func (b *benchBrowser) passkeyLogin(ctx context.Context, a *passkeytest.Authenticator) (loginStatus, error) {
	res, err := b.send(ctx, "POST", "/api/session/passkey/begin", "")
	st := loginStatus{status: res.status, requests: 1}
	if err != nil {
		return st, err
	}
	if res.status != http.StatusOK {
		return st, fmt.Errorf("passkey begin: %d %.200s", res.status, res.body)
	}
	cred, err := a.Login(res.body)
	if err != nil {
		return st, err
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
	res, err = b.send(ctx, "POST", "/api/session/passkey/finish", string(body))
	st.status, st.requests = res.status, 2
	if err != nil {
		return st, err
	}
	return st, wantSession(res)
}

// wantSession requires a log-in's 200 with the session cookie.
func wantSession(res benchAnswer) error {
	if res.status != http.StatusOK {
		return fmt.Errorf("log-in: %d %.200s", res.status, res.body)
	}
	for _, ck := range res.cookies {
		if ck.Name == "token" && ck.Value != "" {
			return nil
		}
	}
	return errors.New("log-in answered 200 without the session cookie")
}

// registerPasskey logs the demo user in and adds a passkey through the API, as the
// page does: begin, the authenticator makes a credential, finish.
func registerPasskey(ctx context.Context, hc *http.Client, base string) (*passkeytest.Authenticator, error) {
	c, err := logIn(ctx, base)
	if err != nil {
		return nil, err
	}
	send := func(path string, body []byte) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(string(body)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("XSRF-Token", c.xsrf)
		req.Header.Set("Cookie", c.cookieHeader("_csrf", "XSRF-TOKEN", "token"))
		res, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode/100 != 2 {
			return nil, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, out)
		}
		return out, nil
	}
	opts, err := send("/api/users/me/passkeys/begin", []byte(`{}`))
	if err != nil {
		return nil, err
	}
	a := passkeytest.New(passkeyOrigin, true)
	cred, err := a.Register(opts)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]any{"name": "bench", "credential": json.RawMessage(cred)})
	if _, err := send("/api/users/me/passkeys/finish", body); err != nil {
		return nil, err
	}
	return a, nil
}

// writeText prints the case's figures.
func (r *passkeyReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "passkey log-in against password log-in, authme on %s, %s a phase, %d workers, load average before %s, after %s\n",
		r.Database, r.Duration, r.Workers, r.LoadAvg, r.LoadAvgAfter)
	for _, p := range []struct {
		name string
		x    loginPhase
	}{{"password", r.PasswordBefore}, {"passkey", r.Passkey}, {"password again", r.PasswordAfter}} {
		fmt.Fprintf(w, "  %-15s %8.1f log-ins/s (%8.1f req/s)  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  failed %d  statuses %v\n",
			p.name, p.x.LoginsPS, p.x.RPS, p.x.P50ms, p.x.P99ms, p.x.MaxMs, p.x.Failed, p.x.Statuses)
	}
	fmt.Fprintf(w, "  passkey / password: %.2fx the log-ins a second, %.2fx the median latency (the two password phases %.0f%% apart)\n",
		r.Ratio, r.LatencyRatio, r.PasswordDrift*100)
	if r.PasswordDrift > maxDrift {
		fmt.Fprintf(w, "  WARNING: password log-ins changed by over %.0f%% between the first phase and the last: something else took the machine's CPU; run again when it is quiet\n", maxDrift*100)
	}
	for _, l := range r.AuthmeLog.logLines("authme", 5) {
		fmt.Fprintln(w, "  "+l)
	}
}
