// Package mailpit runs a real Mailpit SMTP server for tests and reads what it received through
// its HTTP API. It is a test harness: only tests import it.
//
// Without a mailpit binary the tests that need one skip with a clear message; with
// AUTHME_REQUIRE_MAIL=1 (CI) they fail instead.
package mailpit

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Install is the command that builds the Mailpit the tests expect.
const Install = "go install github.com/axllent/mailpit@v1.33.1"

// startTimeout bounds how long Mailpit may take to answer after it is started.
const startTimeout = 20 * time.Second

// Security is how a Server's SMTP port is protected.
type Security int

// The modes a Server's SMTP port can run in.
const (
	Plain    Security = iota // no TLS, no authentication: what a development Mailpit is
	StartTLS                 // STARTTLS required, with a self-signed certificate
	TLS                      // implicit TLS from the first byte, with a self-signed certificate
)

// Options choose how a Server accepts mail.
type Options struct {
	Security Security
	// Username and Password, when set, are the only credentials accepted (they need
	// StartTLS or TLS); otherwise the server takes mail without authentication.
	Username, Password string
}

// Server is one Mailpit process on loopback ports of its own, with its database in the test's
// temporary directory.
type Server struct {
	t       testing.TB
	bin     string
	dir     string
	opts    Options
	args    []string    // the flags opts turn into
	tls     *tls.Config // trusts the server's certificate; nil for Plain
	smtp    int         // SMTP port
	httpP   int         // HTTP API port
	client  *http.Client
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	claimed map[string]bool
}

// Message is one mail as Mailpit received it.
type Message struct {
	ID      string              // Mailpit's database ID
	From    string              // the From address
	To      []string            // the To addresses
	Subject string              // decoded
	Text    string              // the text/plain part
	HTML    string              // the text/html part
	Headers map[string][]string // every header, by canonical name as Mailpit gives it
}

// Start runs a plain Mailpit (no TLS, no authentication) for the test and stops it at cleanup.
// Without a mailpit binary the test is skipped, or fails when AUTHME_REQUIRE_MAIL=1.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith runs Mailpit as opts say for the test and stops it at cleanup; like Start, it
// skips or fails when there is no mailpit binary.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv("AUTHME_REQUIRE_MAIL") == "1" {
			t.Fatalf("AUTHME_REQUIRE_MAIL=1 but %v; build it with `%s`", err, Install)
		}
		t.Skipf("needs Mailpit (%v): build it with `%s`, or set AUTHME_REQUIRE_MAIL=1 to make this a failure", err, Install)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), opts: opts, client: &http.Client{Timeout: 5 * time.Second},
		claimed: map[string]bool{}}
	if err := s.configure(); err != nil {
		t.Fatalf("configure Mailpit: %v", err)
	}
	t.Cleanup(s.Stop)
	// Ports are picked free and then handed to Mailpit, so another process can take one in
	// between; a few tries make that harmless.
	for try := 1; ; try++ {
		s.smtp, s.httpP = freePort(t), freePort(t)
		for s.httpP == s.smtp { // both were free at once, so the kernel may hand out one twice
			s.httpP = freePort(t)
		}
		err := s.start()
		if err == nil {
			return s
		}
		if try == 3 {
			t.Fatalf("start Mailpit: %v", err)
		}
		t.Logf("start Mailpit (try %d): %v", try, err)
	}
}

// find looks for mailpit on PATH, then in $GOBIN and $(go env GOPATH)/bin.
func find() (string, error) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("no mailpit on PATH or in %s", strings.Join(dirs, ", "))
}

// freePort returns a loopback TCP port nothing listens on at the moment.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// configure turns the options into Mailpit flags, writing the certificate and password file
// they need.
func (s *Server) configure() error {
	switch s.opts.Security {
	case Plain:
		if s.opts.Username != "" {
			return errors.New("credentials need StartTLS or TLS")
		}
		// Plain SMTP without authentication, as a local relay would take it.
		s.args = []string{"--smtp-auth-accept-any", "--smtp-auth-allow-insecure"}
		return nil
	case StartTLS, TLS:
	default:
		return fmt.Errorf("unknown security %d", s.opts.Security)
	}
	cert, key, client, err := selfSigned(s.dir)
	if err != nil {
		return err
	}
	s.tls = client
	s.args = []string{"--smtp-tls-cert", cert, "--smtp-tls-key", key}
	if s.opts.Security == TLS {
		s.args = append(s.args, "--smtp-require-tls")
	} else {
		s.args = append(s.args, "--smtp-require-starttls")
	}
	if s.opts.Username == "" {
		s.args = append(s.args, "--smtp-auth-accept-any")
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(s.opts.Password), bcrypt.MinCost)
	if err != nil {
		return fmt.Errorf("hash the SMTP password: %w", err)
	}
	authFile := filepath.Join(s.dir, "smtp-auth")
	if err := os.WriteFile(authFile, []byte(s.opts.Username+":"+string(hash)+"\n"), 0o600); err != nil {
		return err
	}
	s.args = append(s.args, "--smtp-auth-file", authFile)
	return nil
}

// SMTPURL is the SMTP_URL that reaches this server: smtp://127.0.0.1:P?tls=none for a plain
// one, or an smtp:// (STARTTLS) or smtps:// URL with the credentials, percent-encoded.
func (s *Server) SMTPURL() string {
	u := url.URL{Scheme: "smtp", Host: s.SMTPAddr()}
	switch s.opts.Security {
	case Plain:
		u.RawQuery = "tls=none"
	case TLS:
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// TLSConfig trusts the server's self-signed certificate (for mail.SMTPConfig.TLS); nil for a
// plain server.
func (s *Server) TLSConfig() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.Clone()
}

// SMTPAddr is the server's SMTP host:port.
func (s *Server) SMTPAddr() string { return "127.0.0.1:" + strconv.Itoa(s.smtp) }

// APIURL is the base of Mailpit's HTTP API and web interface.
func (s *Server) APIURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.httpP) }

// Start runs Mailpit again on the same ports and database after Stop; call it from the test's
// goroutine. Mail received before Stop is still there.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart Mailpit: %v", err)
	}
}

// start runs the process and waits until its API answers.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	logFile, err := os.OpenFile(filepath.Join(s.dir, "mailpit.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	args := append([]string{
		"--smtp", s.SMTPAddr(),
		"--listen", "127.0.0.1:" + strconv.Itoa(s.httpP),
		"--database", filepath.Join(s.dir, "mailpit.db"),
		"--smtp-disable-rdns", "--disable-version-check",
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("mailpit exited at start; its log:\n%s", s.logTail())
		default:
		}
		if s.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("mailpit did not answer within %v; its log:\n%s", startTimeout, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether both the API and the SMTP port answer.
func (s *Server) ready() bool {
	resp, err := s.client.Get(s.APIURL() + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", s.SMTPAddr(), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// logTail is the end of Mailpit's log, for failure messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "mailpit.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Stop ends the Mailpit process (mail sent now is refused); Start brings it back. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

// stopLocked asks Mailpit to quit, kills it if it does not, and waits for it.
func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// summary is one entry of GET /api/v1/messages.
type summary struct {
	ID      string
	From    address
	To      []address
	Subject string
}

// address is how Mailpit's API writes a mail address.
type address struct{ Name, Address string }

// Messages lists every message Mailpit holds, newest first, without their bodies.
func (s *Server) Messages(ctx context.Context) ([]Message, error) {
	var list struct{ Messages []summary }
	if err := s.get(ctx, "/api/v1/messages?limit=1000", &list); err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(list.Messages))
	for _, m := range list.Messages {
		out = append(out, Message{ID: m.ID, From: m.From.Address, To: addresses(m.To), Subject: m.Subject})
	}
	return out, nil
}

// Message reads one message whole: its parts and headers.
func (s *Server) Message(ctx context.Context, id string) (Message, error) {
	var full struct {
		ID         string
		From       address
		To         []address
		Subject    string
		Text, HTML string
	}
	if err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id), &full); err != nil {
		return Message{}, err
	}
	m := Message{ID: full.ID, From: full.From.Address, To: addresses(full.To), Subject: full.Subject,
		Text: full.Text, HTML: full.HTML}
	if err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id)+"/headers", &m.Headers); err != nil {
		return Message{}, err
	}
	return m, nil
}

// WaitFor waits until a message to the address to arrives that WaitFor has not returned
// before, and returns it whole; the oldest such message comes first, so successive calls
// return successive mails. It fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for {
		m, err := s.next(ctx, to)
		if err == nil && m.ID != "" {
			return m
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				t.Fatalf("no mail to %s within %v (last error: %v)", to, timeout, lastErr)
			}
			t.Fatalf("no mail to %s within %v", to, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// next claims the oldest unclaimed message to the address to, if there is one.
func (s *Server) next(ctx context.Context, to string) (Message, error) {
	list, err := s.Messages(ctx)
	if err != nil {
		return Message{}, err
	}
	for _, m := range slices.Backward(list) {
		if !slices.ContainsFunc(m.To, func(a string) bool { return strings.EqualFold(a, to) }) {
			continue
		}
		s.mu.Lock()
		taken := s.claimed[m.ID]
		s.mu.Unlock()
		if taken {
			continue
		}
		full, err := s.Message(ctx, m.ID)
		if err != nil {
			return Message{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.claimed[m.ID] { // another WaitFor took it meanwhile
			return Message{}, nil
		}
		s.claimed[m.ID] = true
		return full, nil
	}
	return Message{}, nil
}

// get decodes the JSON answer of a GET on the API path into v.
func (s *Server) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.APIURL()+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("mailpit GET %s: decode: %w", path, err)
	}
	return nil
}

// addresses keeps the bare addresses of a list.
func addresses(as []address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Address
	}
	return out
}
