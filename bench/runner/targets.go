package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// target is one server under test.
type target struct {
	name   string // authme, ceiling or express
	base   string // http://127.0.0.1:PORT
	pid    int    // 0 when unknown: no peak RSS then
	proc   *proc  // nil for a server the runner did not start
	client client
	// full is false for the ceiling, which has no CSRF and no log-in.
	full bool
}

// jwtSecret is the fixed key authme and the ceiling share (at least 32 bytes, as
// production requires), so the ceiling can read the token the runner mints.
const jwtSecret = "bench-only-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// authmeRun is everything needed to start authme the same way more than once.
type authmeRun struct {
	bin, dir string
	env      map[string]string // without PORT
}

// authmeEnv is the configuration under test: development (as the Express app runs),
// no per-address log-in limit (every wrk connection comes from 127.0.0.1, so the limit
// would measure itself) and warnings only (no log line per request).
func authmeEnv(tmp, databaseURL, schema string) map[string]string {
	env := map[string]string{
		"PATH":                  os.Getenv("PATH"),
		"HOME":                  tmp,
		"APP_ENV":               "development",
		"JWT_SECRET":            jwtSecret,
		"LOGIN_RATE_PER_MINUTE": "0",
		"LOG_LEVEL":             "warn",
	}
	if databaseURL != "" {
		env["DATABASE_URL"], env["SCHEMA"] = databaseURL, schema
	} else {
		env["DB_FILE"] = filepath.Join(tmp, "authme.db")
	}
	return env
}

func envList(m map[string]string) []string {
	var l []string
	for k, v := range m {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return l
}

// prepare runs `authme migrate` and `authme seed`, as a deployment would before serving.
func (a authmeRun) prepare(ctx context.Context) error {
	for _, args := range [][]string{{"migrate"}, {"seed"}} {
		cmd := exec.CommandContext(ctx, a.bin, args...)
		cmd.Env, cmd.Dir = envList(a.env), a.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("authme %s: %w\n%s", args[0], err, out)
		}
	}
	return nil
}

// start starts authme on a free port and returns once GET /hello/world answers 200,
// with the time that took from exec.
func (a authmeRun) start(ctx context.Context, logFile string) (*proc, string, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", 0, err
	}
	env := map[string]string{"PORT": strconv.Itoa(port)}
	for k, v := range a.env {
		env[k] = v
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	t0 := time.Now()
	p, err := startProc("authme", a.bin, []string{"serve"}, envList(env), a.dir, logFile)
	if err != nil {
		return nil, "", 0, err
	}
	if err := waitOK(ctx, p, base+"/hello/world", 30*time.Second); err != nil {
		p.stop()
		return nil, "", 0, err
	}
	return p, base, time.Since(t0), nil
}

// startupRuns is how many timed starts the start-up figure is the median of.
const startupRuns = 5

// measureStartup starts and stops authme on its existing, migrated and seeded database,
// timing exec → first 200. One untimed start first warms the page cache for the binary.
func (a authmeRun) measureStartup(ctx context.Context) ([]time.Duration, error) {
	var runs []time.Duration
	for i := range startupRuns + 1 {
		p, _, d, err := a.start(ctx, filepath.Join(a.dir, "startup.log"))
		if err != nil {
			return nil, fmt.Errorf("start-up run %d: %w", i, err)
		}
		p.stop()
		if i > 0 {
			runs = append(runs, d)
		}
	}
	return runs, nil
}

// startCeiling starts the standard-library ceiling server with the shared secret.
func startCeiling(ctx context.Context, bin, tmp string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p, err := startProc("ceiling", bin, []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)},
		[]string{"JWT_SECRET=" + jwtSecret}, tmp, filepath.Join(tmp, "ceiling.log"))
	if err != nil {
		return nil, "", err
	}
	if err := waitOK(ctx, p, base+"/hello/world", 30*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, base, nil
}

// expressTarget checks a running Express original and finds its process: given, or the
// one listening on its port.
func expressTarget(ctx context.Context, raw string, pid int) (*target, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" {
		return nil, fmt.Errorf("--express wants http://127.0.0.1:PORT (load stays on this machine), not %q", raw)
	}
	base := "http://" + u.Host
	if err := waitOK(ctx, nil, base+"/hello/world", 5*time.Second); err != nil {
		return nil, fmt.Errorf("express original at %s: %w", base, err)
	}
	if pid == 0 {
		port, _ := strconv.Atoi(u.Port())
		if pid, err = listenerPID(port); err != nil {
			fmt.Fprintf(os.Stderr, "bench: no peak RSS for express: %v (pass --express-pid)\n", err)
		}
	}
	return &target{name: "express", base: base, pid: pid, full: true}, nil
}

// checkAlive fails if a server the runner started has died, so a crash under load is
// reported as one rather than as a column of connection errors.
func (t *target) checkAlive() error {
	if t.proc != nil && t.proc.exited() {
		return fmt.Errorf("%s exited during the benchmark:\n%s", t.name, t.proc.logTail())
	}
	if t.proc == nil && t.pid != 0 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", t.pid)); err != nil {
			return fmt.Errorf("%s (pid %d) is gone", t.name, t.pid)
		}
	}
	return nil
}

// checkSession makes sure the client's token restores the demo user on t, so the
// session case measures the logged-in path and not the anonymous one.
func checkSession(ctx context.Context, t *target) error {
	req, err := http.NewRequestWithContext(ctx, "GET", t.base+"/api/session", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", t.client.cookieHeader("_csrf", "token"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var body struct {
		User *userData `json:"user"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.User == nil || body.User.Username != "Demo-lition" {
		return fmt.Errorf("%s: GET /api/session with the token did not restore Demo-lition (status %d, %v)", t.name, res.StatusCode, err)
	}
	return nil
}

// startAlone is how a case that runs alone starts authme: its database migrated and
// seeded, then the server, logging to authme.log in a.dir, stopped by cl.
func (a authmeRun) startAlone(ctx context.Context, database string, logf func(string, ...any), cl *cleanups) (p *proc, base, logFile string, err error) {
	logf("migrating and seeding authme's %s database", database)
	if err := a.prepare(ctx); err != nil {
		return nil, "", "", err
	}
	logFile = filepath.Join(a.dir, "authme.log")
	if p, base, _, err = a.start(ctx, logFile); err != nil {
		return nil, "", "", err
	}
	cl.add(p.stop)
	return p, base, logFile, nil
}
