package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/session"
)

// fakeAccounts answers every way in with what the test says, and remembers the client
// it was given: handlers are tested here without a database or a hash.
type fakeAccounts struct {
	started login.Started
	err     error
	client  login.Client
}

func (f *fakeAccounts) Password(_ context.Context, _ auth.LoginInput, c login.Client) (login.Attempt, error) {
	f.client = c
	return login.Attempt{Started: f.started}, f.err
}
func (f *fakeAccounts) Signup(_ context.Context, _ auth.SignupInput, c login.Client) (login.Started, error) {
	f.client = c
	return f.started, f.err
}
func (f *fakeAccounts) ChangePassword(_ context.Context, _ auth.User, _ auth.ChangePasswordInput, c login.Client) (login.Started, error) {
	f.client = c
	return f.started, f.err
}
func (f *fakeAccounts) Reset(_ context.Context, _ login.ResetInput, c login.Client) (login.Started, error) {
	f.client = c
	return f.started, f.err
}

func (f *fakeAccounts) Passkey(_ context.Context, _ []byte, c login.Client) (login.Attempt, error) {
	f.client = c
	return login.Attempt{Started: f.started}, f.err
}

func (f *fakeAccounts) SecondFactor(_ context.Context, _ string, _ auth.Proof, c login.Client) (login.Finished, error) {
	f.client = c
	return login.Finished{Started: f.started}, f.err
}

// fakeSessions knows one token, "old-token", of session "old".
type fakeSessions struct{}

func (fakeSessions) Restore(_ context.Context, tok string) (auth.User, string, error) {
	if tok == "old-token" {
		return auth.User{ID: 1, Username: "ann"}, "old", nil
	}
	return auth.User{}, "", session.ErrNoSession
}
func (fakeSessions) List(context.Context, int64) ([]session.Session, error)     { return nil, nil }
func (fakeSessions) EndOne(context.Context, int64, string, events.Origin) error { return nil }
func (fakeSessions) EndOthers(context.Context, int64, string, events.Origin) (int64, error) {
	return 0, nil
}
func (fakeSessions) End(context.Context, int64, string, events.Origin) error { return nil }
func (fakeSessions) TTL() time.Duration                                      { return time.Hour }

// TestLoginHandler: the handler turns the way in's answer into cookies, a body and a
// status, and tells it which session the request came with.
func TestLoginHandler(t *testing.T) {
	t.Parallel()
	ann := auth.User{ID: 1, Username: "ann", Email: "ann@user.io"}
	tests := []struct {
		name       string
		started    login.Started
		err        error
		oldToken   bool
		status     int
		token      string // the token cookie set, "" for none
		retryAfter string
	}{
		{"StartedSessionSetsItsToken", login.Started{User: ann, Token: "new-token"}, nil, false, 200, "new-token", ""},
		{"ReplacedSessionIsNamed", login.Started{User: ann, Token: "new-token"}, nil, true, 200, "new-token", ""},
		{"WrongPasswordIs401", login.Started{}, auth.ErrInvalidCredentials, false, 401, "", ""},
		{"ThrottledIs429WithRetryAfter", login.Started{}, auth.TooMany(3 * time.Second), false, 429, "", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acc := &fakeAccounts{started: tt.started, err: tt.err}
			srv := httptest.NewServer(NewServer(Deps{
				Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
				Accounts: acc, Sessions: fakeSessions{},
				CSRFKey: []byte("handler test secret, long enough"),
			}))
			defer srv.Close()
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar}
			res, err := hc.Get(srv.URL + "/api/csrf/restore")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			var xsrf string
			for _, c := range res.Cookies() {
				if c.Name == "XSRF-TOKEN" {
					xsrf = c.Value
				}
			}
			req, _ := http.NewRequest("POST", srv.URL+"/api/session", strings.NewReader(`{"credential":"ann","password":"pw"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("XSRF-Token", xsrf)
			if tt.oldToken {
				req.AddCookie(&http.Cookie{Name: "token", Value: "old-token"})
			}
			res, err = hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			var token string
			for _, c := range res.Cookies() {
				if c.Name == "token" {
					token = c.Value
				}
			}
			if token != tt.token {
				t.Errorf("token cookie %q, want %q", token, tt.token)
			}
			if got := res.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if wantOld := map[bool]string{true: "old"}[tt.oldToken]; acc.client.Replaces != wantOld {
				t.Errorf("the way in was told the request replaces %q, want %q", acc.client.Replaces, wantOld)
			}
			if tt.status == 200 {
				var body struct{ User auth.User }
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.User != ann {
					t.Errorf("body user %+v, %v; want %+v", body.User, err, ann)
				}
			}
		})
	}
}
