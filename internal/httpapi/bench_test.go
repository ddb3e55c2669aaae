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
	db := testdb.Targets(b)[0].Migrated(b)
	if _, err := db.Seed(context.Background(), password.NewArgon2id(password.OWASP)); err != nil {
		b.Fatal(err)
	}
	log := logging.New(io.Discard, false, slog.LevelWarn)
	users, err := auth.NewService(db, password.NewArgon2id(password.OWASP), log)
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
