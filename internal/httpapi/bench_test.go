package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/logging"
	"authme/internal/login"
	"authme/internal/password"
	"authme/internal/session"
	"authme/internal/testdb"
)

// benchServer is the real handler over a seeded SQLite database, logging at warn (as a
// benchmark run does), with a logged-in token for Demo-lition.
func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	return benchServerHashing(b, password.NewArgon2id(password.OWASP))
}

// benchServerHashing is benchServer hashing with h.
func benchServerHashing(b *testing.B, h *password.Hasher) (*Server, string) {
	b.Helper()
	db := testdb.Targets(b)[0].Migrated(b)
	if _, err := db.Seed(context.Background(), h); err != nil {
		b.Fatal(err)
	}
	log := logging.New(io.Discard, false, slog.LevelWarn)
	users, err := auth.NewService(db, h, log)
	if err != nil {
		b.Fatal(err)
	}
	secret := []byte("benchmark secret that is long enough")
	sessions := session.NewManager(db, secret, time.Hour, time.Hour, time.Now)
	tok := testdb.StartSession(b, db, sessions, auth.User{ID: 1, Username: "Demo-lition", Email: "demo@user.io"}, "bench")
	return NewServer(Deps{Log: log, Accounts: login.New(users, sessions, db), Sessions: sessions, CSRFKey: secret}), tok
}

// serve runs one request through the whole handler and checks its status.
func serve(b *testing.B, h http.Handler, r *http.Request, want int) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("%s %s = %d, want %d: %s", r.Method, r.URL.Path, w.Code, want, w.Body)
	}
}

// BenchmarkHello is GET /hello/world through the full middleware stack, for a client
// without cookies: a new CSRF secret and token each time, as for wrk.
func BenchmarkHello(b *testing.B) {
	s, _ := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, httptest.NewRequest("GET", "/hello/world", nil), 200)
	}
}

// BenchmarkSessionRestore is GET /api/session logged in: middleware, token check, the
// session-and-user query and the JSON answer.
func BenchmarkSessionRestore(b *testing.B) {
	s, tok := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", "/api/session", nil)
		r.Header.Set("Cookie", "_csrf=AAAAAAAAAAAAAAAAAAAAAAAA; token="+tok)
		serve(b, s, r, 200)
	}
}

// BenchmarkLogin is POST /api/session with the right password, as a browser sends it:
// CSRF, the throttle-free verification (one Argon2id hash at the OWASP cost), the
// session's transaction (with its security event) and the cookies.
func BenchmarkLogin(b *testing.B) { benchLogin(b, password.NewArgon2id(password.OWASP)) }

// BenchmarkLoginCheapHash is BenchmarkLogin with a hash a hundred times cheaper, so that
// what the log-in writes (the session, its event) is a visible part of its cost.
func BenchmarkLoginCheapHash(b *testing.B) {
	benchLogin(b, password.NewArgon2id(password.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
}

func benchLogin(b *testing.B, h *password.Hasher) {
	s, _ := benchServerHashing(b, h)
	secret := randomString(csrfSecretBytes)
	tok := s.csrf.token(secret)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/session", strings.NewReader(`{"credential":"Demo-lition","password":"password"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Cookie", "_csrf="+secret)
		r.Header.Set("XSRF-Token", tok)
		serve(b, s, r, 200)
	}
}

// BenchmarkCSRFCheck is the token check alone, as every unsafe request pays it.
func BenchmarkCSRFCheck(b *testing.B) {
	c := newCSRF([]byte("benchmark key"))
	secret := randomString(csrfSecretBytes)
	tok := c.token(secret)
	b.ReportAllocs()
	for b.Loop() {
		if !c.verify(secret, tok) {
			b.Fatal("token refused")
		}
	}
}

// BenchmarkUserJSON is the answer every session and log-in request writes.
func BenchmarkUserJSON(b *testing.B) {
	u := auth.User{ID: 42, Username: "Demo-lition", Email: "demo@user.io"}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		writeJSON(w, http.StatusOK, userBody{User: &u})
		if !strings.HasPrefix(w.Body.String(), `{"user":{"id":42`) {
			b.Fatal(w.Body.String())
		}
	}
}
