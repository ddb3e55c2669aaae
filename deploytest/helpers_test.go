// Package deploytest runs the real authme binary the way production does: several
// processes sharing one PostgreSQL schema, a database that goes away and comes back,
// SIGTERM under load, and the production settings seen from outside. Every test builds
// on the helpers here: the binary (built once in TestMain), processes, cookie-keeping
// clients, PostgreSQL schemas and log and metrics readers.
package deploytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to inspect the database
)

// authmeBin is the binary under test, built once for the whole run.
var authmeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authme-deploytest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploytest:", err)
		os.Exit(1)
	}
	authmeBin = filepath.Join(dir, "authme")
	build := exec.Command("go", "build", "-o", authmeBin, "authme/cmd/authme")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "deploytest: go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needPostgres skips the test, or fails it when CI demands PostgreSQL.
func needPostgres(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("AUTHME_REQUIRE_POSTGRES") == "1" {
		t.Fatalf("AUTHME_REQUIRE_POSTGRES=1 but %s", why)
	}
	t.Skipf("needs PostgreSQL: %s", why)
}

// sharedPostgres returns TEST_DATABASE_URL, the server every test may share (each in a
// schema of its own).
func sharedPostgres(t *testing.T) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		needPostgres(t, "TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // never fails on Linux
	return hex.EncodeToString(b)
}

// newSecret returns a 48-character JWT_SECRET, as `openssl rand -base64 36` would.
func newSecret() string {
	b := make([]byte, 36)
	rand.Read(b) //nolint:errcheck // never fails on Linux
	return base64.StdEncoding.EncodeToString(b)
}

// openSQL opens dbURL for the test's own queries.
func openSQL(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("open %s: %v", dbURL, err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	return db
}

// freshSchema names a schema nobody uses yet and drops it when the test ends. It does
// not create it: `authme migrate` does.
func freshSchema(t *testing.T, dbURL string) string {
	t.Helper()
	schema := "deploy_" + randomHex(6)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// schemaExists reports whether the schema is in the database.
func schemaExists(t *testing.T, db *sql.DB, schema string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatalf("look for schema %s: %v", schema, err)
	}
	return n > 0
}

// prodEnv is the environment of a production instance: nothing from the test's own
// environment leaks in (PG* variables, a .env file), only what is listed.
func prodEnv(dbURL, schema, secret string, kv ...string) map[string]string {
	env := map[string]string{
		"APP_ENV":      "production",
		"DATABASE_URL": dbURL,
		"SCHEMA":       schema,
		"JWT_SECRET":   secret,
		"PORT":         "0",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func command(t *testing.T, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(authmeBin, args...)
	// An empty folder: run() reads ./.env, and there must be none.
	cmd.Dir = t.TempDir()
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// result is how a command that ran to its end went.
type result struct {
	Stdout, Stderr string
	Code           int
}

// runAuthme runs one authme command to its end (at most a minute).
func runAuthme(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	cmd := command(t, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start authme %v: %v", args, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck // the exit code is read below
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill() //nolint:errcheck // our own child
		<-done
		t.Fatalf("authme %v did not finish within a minute", args)
	}
	return result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
}

// mustRun runs an authme command that has to succeed.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := runAuthme(t, env, args...)
	if r.Code != 0 {
		t.Fatalf("authme %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

var (
	listeningRE = regexp.MustCompile(`Listening on port (\d+)`)
	metricsRE   = regexp.MustCompile(`metrics on (http://[^\s"]+/metrics)`)
)

// lineLog keeps a process's output line by line and notices the listening port.
type lineLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	port    chan string
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.lines = append(l.lines, line)
		if m := listeningRE.FindStringSubmatch(line); m != nil && l.port != nil {
			select {
			case l.port <- m[1]:
			default:
			}
		}
	}
	return len(p), nil
}

// Lines returns the complete lines so far.
func (l *lineLog) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + string(l.partial)
}

// instance is one running authme process.
type instance struct {
	t          *testing.T
	name       string
	cmd        *exec.Cmd
	stdout     *lineLog
	stderr     *lineLog
	exited     chan struct{}
	URL        string // http://127.0.0.1:PORT
	MetricsURL string // set when METRICS_ADDR was given
}

// startAuthme starts `authme args...` and waits until it listens. The test's end stops
// it with SIGTERM (SIGKILL if it hangs) and prints its output if the test failed.
func startAuthme(t *testing.T, name string, env map[string]string, args ...string) *instance {
	t.Helper()
	in := &instance{t: t, name: name, cmd: command(t, env, args...),
		stdout: &lineLog{port: make(chan string, 1)}, stderr: &lineLog{}, exited: make(chan struct{})}
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { in.cmd.Wait(); close(in.exited) }() //nolint:errcheck // read from ProcessState
	t.Cleanup(in.cleanup)
	select {
	case port := <-in.stdout.port:
		in.URL = "http://127.0.0.1:" + port
	case <-in.exited:
		t.Fatalf("%s exited before listening (status %d)\nstdout:\n%s\nstderr:\n%s", name, in.cmd.ProcessState.ExitCode(), in.stdout, in.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30s\nstdout:\n%s\nstderr:\n%s", name, in.stdout, in.stderr)
	}
	// The metrics line comes before the listening line.
	if m := metricsRE.FindStringSubmatch(in.stdout.String()); m != nil {
		in.MetricsURL = m[1]
	}
	return in
}

// Running reports whether the process is still alive.
func (in *instance) Running() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// Terminate sends SIGTERM.
func (in *instance) Terminate() {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		in.t.Fatalf("SIGTERM %s: %v", in.name, err)
	}
}

// Wait waits up to d for the process to end and returns its exit status, or -1 and
// false if it is still running.
func (in *instance) Wait(d time.Duration) (int, bool) {
	select {
	case <-in.exited:
		return in.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return -1, false
	}
}

// Stop sends SIGTERM and requires a clean exit within the shutdown timeout.
func (in *instance) Stop() {
	in.t.Helper()
	in.Terminate()
	code, ok := in.Wait(12 * time.Second)
	if !ok {
		in.t.Fatalf("%s still running 12s after SIGTERM", in.name)
	}
	if code != 0 {
		in.t.Fatalf("%s exited with status %d after SIGTERM\nstderr:\n%s", in.name, code, in.stderr)
	}
}

func (in *instance) cleanup() {
	if in.Running() {
		in.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have just exited
		if _, ok := in.Wait(15 * time.Second); !ok {
			in.cmd.Process.Kill() //nolint:errcheck // our own child
			<-in.exited
		}
	}
	if in.t.Failed() {
		out := in.stdout.Lines()
		if len(out) > 60 {
			out = out[len(out)-60:]
		}
		in.t.Logf("%s: last stdout lines:\n%s\nstderr:\n%s", in.name, strings.Join(out, "\n"), in.stderr)
	}
}

// LogEntries parses stdout as JSON lines; a line that is not JSON fails the test.
func (in *instance) LogEntries() []map[string]any {
	in.t.Helper()
	var out []map[string]any
	for _, line := range in.stdout.Lines() {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			in.t.Errorf("%s: log line is not JSON: %q", in.name, line)
			continue
		}
		out = append(out, m)
	}
	return out
}

// Goroutines scrapes go_goroutines from the metrics listener.
func (in *instance) Goroutines() float64 {
	in.t.Helper()
	if in.MetricsURL == "" {
		in.t.Fatalf("%s has no metrics listener", in.name)
	}
	// No keep-alive: a scrape must not leave a connection (and its goroutine) behind.
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(in.MetricsURL)
	if err != nil {
		in.t.Fatalf("scrape %s: %v", in.MetricsURL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	in.t.Fatalf("no go_goroutines in %s", in.MetricsURL)
	return 0
}

// newTransport is a keep-alive transport for one test's load.
func newTransport() *http.Transport {
	return &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 100, IdleConnTimeout: 30 * time.Second}
}

// browser is one client with its own cookies, kept by hand: production cookies are
// Secure, and net/http/cookiejar never sends those over http://.
type browser struct {
	hc      *http.Client
	mu      sync.Mutex
	cookies map[string]string
}

func newBrowser(hc *http.Client) *browser { return &browser{hc: hc, cookies: map[string]string{}} }

// Clone is another client holding the same cookies (a second tab).
func (b *browser) Clone() *browser {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := newBrowser(b.hc)
	for k, v := range b.cookies {
		c.cookies[k] = v
	}
	return c
}

// Cookie returns a cookie's value, "" when there is none.
func (b *browser) Cookie(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cookies[name]
}

// Forget drops a cookie.
func (b *browser) Forget(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.cookies, name)
}

// reply is a whole response.
type reply struct {
	Status    int
	Header    http.Header
	Body      []byte
	Cookies   []*http.Cookie
	RequestID string // the X-Request-Id this client sent
}

func (r *reply) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// JSON decodes the body.
func (r *reply) JSON() map[string]any {
	var m map[string]any
	json.Unmarshal(r.Body, &m) //nolint:errcheck // a nil map fails the caller's checks
	return m
}

// NewRequest makes a request carrying the browser's cookies, the XSRF-Token header on
// unsafe methods, a JSON content type when there is a body, and a request id of its own.
func (b *browser) NewRequest(method, url string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Request-Id", "dt-"+randomHex(10))
	b.mu.Lock()
	var pairs []string
	for k, v := range b.cookies {
		pairs = append(pairs, k+"="+v)
	}
	xsrf := b.cookies["XSRF-TOKEN"]
	b.mu.Unlock()
	if len(pairs) > 0 {
		req.Header.Set("Cookie", strings.Join(pairs, "; "))
	}
	if method != "GET" && method != "HEAD" && xsrf != "" {
		req.Header.Set("XSRF-Token", xsrf)
	}
	return req, nil
}

// Do sends one request as a browser with a frontend would: the cookies, the XSRF-Token
// header on unsafe methods, a JSON body, and a request id of its own.
func (b *browser) Do(method, url string, body any, header ...string) (*reply, error) {
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := b.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	id := req.Header.Get("X-Request-Id")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return &reply{RequestID: id}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	r := &reply{Status: res.StatusCode, Header: res.Header, Body: data, Cookies: res.Cookies(), RequestID: id}
	if err != nil {
		return r, err
	}
	b.mu.Lock()
	for _, ck := range r.Cookies {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck.Value
		}
	}
	b.mu.Unlock()
	return r, nil
}

// Must sends a request that has to get status want.
func (b *browser) Must(t *testing.T, want int, method, url string, body any) *reply {
	t.Helper()
	r, err := b.Do(method, url, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if r.Status != want {
		t.Fatalf("%s %s = %s, want %d", method, url, r, want)
	}
	return r
}

// Restore fetches the CSRF cookies, as a frontend does on start-up.
func (b *browser) Restore(t *testing.T, base string) {
	t.Helper()
	b.Must(t, 200, "GET", base+"/api/csrf/restore", nil)
}

// userName reads {"user": {"username": …}}; "" for {"user": null}.
func userName(r *reply) string {
	u, _ := r.JSON()["user"].(map[string]any)
	name, _ := u["username"].(string)
	return name
}

// login is the body of POST /api/session.
func login(credential, password string) map[string]string {
	return map[string]string{"credential": credential, "password": password}
}

// signup is the body of POST /api/users.
func signup(username, email, password string) map[string]string {
	return map[string]string{"username": username, "email": email, "password": password}
}

// percentile returns the p-th percentile (0–100) of ds, which it sorts.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)-1)*p/100]
}
