package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/httpapi"
	"authme/internal/login"
	"authme/internal/mail"
	"authme/internal/mailpit"
	"authme/internal/mfa"
	"authme/internal/openapitest"
	"authme/internal/outbox"
	"authme/internal/passkey"
	"authme/internal/password"
	"authme/internal/recovery"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// server is the real authme server on a real port, seeded with the demo users, behind
// faults that a test can arm.
type server struct {
	URL string
	// PasskeyURL is the same server by the name passkeys need (localhost, not an IP).
	PasskeyURL string
	faults     *faults
	log        *testkit.Buffer
	// failures aggregates failed log-ins; Sync makes them readable at once.
	failures *events.Aggregator
	// db is the server's database, for a test that ages rows or starts a second
	// instance on it (serverOptions.db).
	db *store.DB
}

func startServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, serverOptions{target: testdb.Targets(t)[0]})
}

// serverOptions choose the database and whether the server sends mail.
type serverOptions struct {
	target testdb.Target
	// mail, when set, is the Mailpit the server mails through (SMTP_URL), with links
	// under the server's own URL (PUBLIC_URL); without it, mail is off and the mail
	// endpoints answer 503, as in production without SMTP_URL.
	mail *mailpit.Server
	// requireVerified is REQUIRE_VERIFIED_EMAIL: log-in needs a confirmed address.
	requireVerified bool
	// db, when set, is another server's database, migrated and seeded already: this
	// server is a second instance of the same deployment.
	db *store.DB
	// passkeyOrigins, when set, replaces the one origin passkeys are allowed from
	// (http://localhost:PORT), as WEBAUTHN_ORIGINS does.
	passkeyOrigins []string
}

// startMailServer starts the server on tg mailing through a fresh Mailpit, and returns both.
func startMailServer(t *testing.T, tg testdb.Target) (*server, *mailpit.Server) {
	t.Helper()
	mp := mailpit.Start(t)
	return startServerWith(t, serverOptions{target: tg, mail: mp}), mp
}

// startServerWith starts the real server, wired as cmd/authme's serve wires it: the
// outbox's sender runs in the background, like the binary's, until the test ends.
func startServerWith(t *testing.T, o serverOptions) *server {
	t.Helper()
	hasher := password.NewArgon2id(password.OWASP)
	db := o.db
	if db == nil {
		db = o.target.Migrated(t)
		if _, err := db.Seed(context.Background(), hasher); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	failures := startFailureLog(t, db, log)
	users, err := auth.NewService(db, hasher, log, auth.WithFailureObserver(func(f auth.LoginFailure) {
		kind := events.LoginFailed
		if f.Throttled {
			kind = events.LoginThrottled
		}
		failures.Observe(events.Event{UserID: f.UserID, Kind: kind, Address: f.Address, UserAgent: f.UserAgent, Count: 1})
	}))
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	sessions := session.NewManager(db, key, time.Hour, 0, time.Now)
	f := &faults{rules: map[string]fault{}, counts: map[string]int{}, bodies: map[string][]byte{}}
	// The listener comes first: its address is PUBLIC_URL, the base of every mailed link.
	ts := httptest.NewUnstartedServer(f)
	publicURL := "http://" + ts.Listener.Addr().String()
	accountOpts := []login.Option{login.WithTokens(db), login.RequireVerifiedEmail(o.requireVerified)}
	rec := recovery.Options{}
	secretKey := make([]byte, mfa.KeySize)
	rand.Read(secretKey)
	keys, err := mfa.NewKeyring(secretKey)
	if err != nil {
		t.Fatal(err)
	}
	factorOpts := mfa.Options{Keys: keys, Log: log}
	if o.mail != nil {
		wake := startSender(t, db, o.mail, publicURL, log)
		accountOpts = append(accountOpts, login.WithMail(db))
		rec = recovery.Options{MailOn: true, Wake: wake}
		factorOpts.Notify, factorOpts.Wake = true, wake
	}
	factors := mfa.New(db, users, factorOpts)
	accountOpts = append(accountOpts, login.WithSecondFactors(factors, db))
	rec.Factors = factors
	// Passkeys need a domain: WebAuthn refuses IP addresses, so the browser opens
	// http://localhost:PORT (server.PasskeyURL), the one origin allowed.
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	origins := []string{"http://localhost:" + port}
	if o.passkeyOrigins != nil {
		origins = o.passkeyOrigins
	}
	passkeys, err := passkey.New(passkey.Settings{RPID: "localhost", Origins: origins}, db, users,
		passkey.Options{Factors: factors, Notify: factorOpts.Notify, Wake: factorOpts.Wake, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	accountOpts = append(accountOpts, login.WithPasskeys(passkeys))
	api := httpapi.NewServer(httpapi.Deps{
		Log:      log,
		Accounts: login.New(users, sessions, db, accountOpts...),
		Recovery: recovery.New(db, users, rec),
		Owners:   account.New(db, users, log, account.WithFactors(factors)),
		Factors:  factors,
		Passkeys: passkeys,
		Events:   db,
		Sessions: sessions,
		CSRFKey:  key,
		Now:      time.Now,
	})
	// Every answer of the real server is checked against the OpenAPI document; the
	// faults' made-up answers are not.
	f.next = openapitest.Handler(t, api)
	ts.Start()
	t.Cleanup(func() {
		f.releaseAll()
		ts.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &server{URL: ts.URL, PasskeyURL: "http://localhost:" + port, faults: f, log: logs, failures: failures, db: db}
}

// startFailureLog runs the aggregator of failed log-ins, as serve does, until the test
// ends.
func startFailureLog(t *testing.T, db *store.DB, log *slog.Logger) *events.Aggregator {
	t.Helper()
	a := events.NewAggregator(db, events.AggregatorOptions{Log: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(ctx)
	}()
	// Registered after the database's cleanup, so it runs before: the last rows are
	// written before the database closes.
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return a
}

// startSender runs the outbox's sender, mailing through mp with links under publicURL,
// until the test ends; it returns the sender's Notify.
func startSender(t *testing.T, db *store.DB, mp *mailpit.Server, publicURL string, log *slog.Logger) func() {
	t.Helper()
	cfg, err := mail.ParseSMTPURL(mp.SMTPURL())
	if err != nil {
		t.Fatal(err)
	}
	transport, err := mail.NewSMTP(cfg, "authme <no-reply@authme.test>")
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := recovery.NewMailer(db, transport, publicURL, 30*time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Retries come quickly, so a test that stops Mailpit for a while sees the mail soon
	// after it is back.
	sender := outbox.NewWorker(db.Outbox(), mailer, outbox.Options{
		Log:     log,
		Poll:    100 * time.Millisecond,
		Backoff: func(int) time.Duration { return 100 * time.Millisecond },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sender.Run(ctx)
	}()
	// Registered after the database's cleanup, so it runs before: the sender stops
	// before the database closes.
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return sender.Notify
}

// fault is what happens to a matching request instead of (or before) the real server.
type fault struct {
	drop   bool          // close the connection without an answer, as a broken network does
	status int           // answer with this status, header and body
	header http.Header   // sent with status
	body   string        // sent with status, as JSON
	hold   chan struct{} // wait until it is closed, then pass the request on
}

// faults makes chosen requests fail or wait, keyed by "METHOD /path", and counts every
// request so a test can tell how many the page sent, keeping the last body of each so it
// can tell what the page sent.
type faults struct {
	next   http.Handler
	mu     sync.Mutex
	rules  map[string]fault
	counts map[string]int
	bodies map[string][]byte
}

func (f *faults) set(route string, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules[route] = ft
}

func (f *faults) clear(route string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.rules[route]; ok && ft.hold != nil {
		close(ft.hold)
	}
	delete(f.rules, route)
}

func (f *faults) releaseAll() {
	f.mu.Lock()
	routes := make([]string, 0, len(f.rules))
	for r := range f.rules {
		routes = append(routes, r)
	}
	f.mu.Unlock()
	for _, r := range routes {
		f.clear(r)
	}
}

func (f *faults) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[route]
}

// lastBody returns the body of the last request to route.
func (f *faults) lastBody(route string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[route]
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	// The page's bodies are small; the real server limits them again after this.
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.counts[route]++
	f.bodies[route] = body
	ft, armed := f.rules[route]
	f.mu.Unlock()
	switch {
	case !armed:
	case ft.hold != nil:
		select {
		case <-ft.hold:
		case <-r.Context().Done():
			return
		}
	case ft.drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case ft.status != 0:
		for k, v := range ft.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(ft.status)
		w.Write([]byte(ft.body))
		return
	}
	f.next.ServeHTTP(w, r)
}
