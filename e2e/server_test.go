package e2e

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/httpapi"
	"authme/internal/login"
	"authme/internal/openapitest"
	"authme/internal/password"
	"authme/internal/session"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// server is the real authme server on a real port, seeded with the demo users, behind
// faults that a test can arm.
type server struct {
	URL    string
	faults *faults
	log    *testkit.Buffer
}

func startServer(t *testing.T) *server {
	t.Helper()
	db := testdb.Targets(t)[0].Migrated(t)
	hasher := password.NewArgon2id(password.OWASP)
	if _, err := db.Seed(context.Background(), hasher); err != nil {
		t.Fatalf("seed: %v", err)
	}
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	users, err := auth.NewService(db, hasher, log)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	sessions := session.NewManager(db, key, time.Hour, 0, time.Now)
	api := httpapi.NewServer(httpapi.Deps{
		Log:      log,
		Accounts: login.New(users, sessions, db),
		Owners:   account.New(db, users, log),
		Sessions: sessions,
		CSRFKey:  key,
		Now:      time.Now,
	})
	// Every answer of the real server is checked against the OpenAPI document; the
	// faults' made-up answers are not.
	f := &faults{next: openapitest.Handler(t, api), rules: map[string]fault{}, counts: map[string]int{}}
	ts := httptest.NewServer(f)
	t.Cleanup(func() {
		f.releaseAll()
		ts.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &server{URL: ts.URL, faults: f, log: logs}
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
// request so a test can tell how many the page sent.
type faults struct {
	next   http.Handler
	mu     sync.Mutex
	rules  map[string]fault
	counts map[string]int
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

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.counts[route]++
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
