package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/testdb"
	"authme/internal/tokens"
)

// syncEvents writes the failed log-ins the aggregator holds.
func (h *harness) syncEvents(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.failures.Sync(ctx); err != nil {
		t.Fatalf("sync failed log-ins: %v", err)
	}
}

// mailedToken stores a token as the mailer would have sent it, for the account of
// userID; stamp makes its stamp from the account as it is now.
func (h *harness) mailedToken(t *testing.T, userID int64, purpose, email string, stamp func(auth.Credentials) string) string {
	t.Helper()
	ctx := context.Background()
	tok, hash, err := tokens.New()
	if err != nil {
		t.Fatal(err)
	}
	now := h.clock.Now()
	err = h.db.InTx(ctx, func(tx login.Tx) error {
		acct, err := tx.Account(ctx, userID)
		if err != nil {
			return err
		}
		return tx.InsertToken(ctx, tokens.Record{Hash: hash, UserID: userID, Purpose: purpose, Email: email,
			Stamp: stamp(acct), CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatalf("store a %s token: %v", purpose, err)
	}
	return tok
}

// eventsOf is GET /api/users/me/events as c sees it: every page, newest first.
func (c *client) eventsOf() []map[string]any {
	c.t.Helper()
	var out []map[string]any
	path := "/api/users/me/events?limit=100"
	for {
		r := c.do(http.MethodGet, path, nil)
		wantStatus(c.t, r, http.StatusOK)
		body := r.jsonObject(c.t)
		for _, e := range body["events"].([]any) {
			out = append(out, e.(map[string]any))
		}
		next, ok := body["nextCursor"].(string)
		if !ok {
			return out
		}
		path = "/api/users/me/events?limit=100&cursor=" + next
	}
}

func kindsOf(list []map[string]any) string {
	var k []string
	for _, e := range list {
		k = append(k, fmt.Sprint(e["kind"]))
	}
	return strings.Join(k, ",")
}

// countEvents counts every row of SecurityEvents.
func (h *harness) countEvents(t *testing.T) int {
	t.Helper()
	var n int
	if err := h.db.SQL().QueryRow(`SELECT count(*) FROM "SecurityEvents"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecurityEvents: each action writes its event, with the client and the session,
// and the owner reads them newest first.
func TestSecurityEvents(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("EachActionWritesItsEvent", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			ann, phone, stranger := h.client(t), h.client(t), h.client(t)
			const pw, pw2, pw3 = "tidal-basin-47", "harbour-lights-58", "copper-kettle-69"

			wantStatus(t, ann.signup("annie", "ann@x.io", pw), http.StatusCreated)
			u := userOf(t, ann.do(http.MethodGet, "/api/session", nil))
			id := int64(u["id"].(float64))
			tok := h.mailedToken(t, id, tokens.Verify, "ann@x.io", func(a auth.Credentials) string { return tokens.AccountStamp(tokens.Verify, a.Email, "") })
			wantStatus(t, ann.send(http.MethodPost, "/api/email-verification/confirm", map[string]string{"token": tok}), http.StatusOK)
			wantStatus(t, ann.send(http.MethodDelete, "/api/session", nil), http.StatusOK)
			ann.mustLogin("annie", pw)
			phone.mustLogin("ann@x.io", pw)
			for i := 0; i < 2; i++ {
				wantStatus(t, stranger.login("annie", "not-the-password"), http.StatusUnauthorized)
			}
			h.syncEvents(t) // aggregated rows are listed by when they are written

			// End the phone's session from ann's browser, then every other one.
			var phoneSession string
			for _, s := range ann.do(http.MethodGet, "/api/sessions", nil).jsonObject(t)["sessions"].([]any) {
				if m := s.(map[string]any); m["current"] == false {
					phoneSession = m["id"].(string)
				}
			}
			wantStatus(t, ann.send(http.MethodDelete, "/api/sessions/"+phoneSession, nil), http.StatusOK)
			phone.mustLogin("annie", pw)
			wantStatus(t, ann.send(http.MethodDelete, "/api/sessions", nil), http.StatusOK)

			wantStatus(t, ann.send(http.MethodPut, "/api/users/me/password", map[string]string{"currentPassword": pw, "newPassword": pw2}), http.StatusOK)
			wantStatus(t, ann.send(http.MethodPut, "/api/users/me/email", map[string]string{"password": pw2, "email": "ann@new.io"}), http.StatusAccepted)
			tok = h.mailedToken(t, id, tokens.EmailChange, "ann@new.io", func(a auth.Credentials) string {
				return tokens.AccountStamp(tokens.EmailChange, a.Email, a.PasswordHash)
			})
			wantStatus(t, ann.send(http.MethodPost, "/api/email-change/confirm", map[string]string{"token": tok}), http.StatusOK)
			tok = h.mailedToken(t, id, tokens.EmailUndo, "ann@x.io", func(auth.Credentials) string { return "" })
			wantStatus(t, ann.send(http.MethodPost, "/api/email-change/undo", map[string]string{"token": tok}), http.StatusOK)
			tok = h.mailedToken(t, id, tokens.Reset, "ann@x.io", func(a auth.Credentials) string { return tokens.AccountStamp(tokens.Reset, a.Email, a.PasswordHash) })
			wantStatus(t, ann.send(http.MethodPost, "/api/password-reset/confirm", map[string]string{"token": tok, "password": pw3}), http.StatusOK)
			h.syncEvents(t)

			list := ann.eventsOf()
			want := "password-reset,email-change-undone,email-changed,email-change-requested,password-changed," +
				"sessions-ended,login,sessions-ended,login-failed,login,login,logout,email-verified,signup"
			if got := kindsOf(list); got != want {
				t.Fatalf("events\n%s\nwant\n%s", got, want)
			}
			byKind := map[string]map[string]any{}
			for _, e := range list {
				if _, ok := byKind[e["kind"].(string)]; !ok {
					byKind[e["kind"].(string)] = e // the newest of each kind
				}
			}
			if e := byKind["login-failed"]; e["count"] != float64(2) || e["sessionId"] != "" || e["address"] != "127.0.0.1" {
				t.Errorf("failed log-ins %v, want one row of 2 from 127.0.0.1", e)
			}
			if e := byKind["password-reset"]; e["current"] != true || e["sessionId"] == "" || e["userAgent"] != "Go-http-client/1.1" {
				t.Errorf("the reset's event %v, want it marked current, with the new session and the browser", e)
			}
			if e := byKind["sessions-ended"]; e["detail"].(map[string]any)["which"] != "others" || e["detail"].(map[string]any)["count"] != "1" {
				t.Errorf("end others %v, want which others, count 1", e)
			}
			one := list[7]
			if d := one["detail"].(map[string]any); d["which"] != "one" || d["session"] != phoneSession {
				t.Errorf("end one %v, want which one, naming the phone's session", one)
			}
			for _, e := range list {
				if e["current"] == true && e["kind"] != "password-reset" {
					t.Errorf("%v is marked current, but came from a session that has ended", e)
				}
			}
		})

		t.Run("UnknownNamesWriteNothing", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			c := h.client(t)
			for i := 0; i < 7; i++ { // beyond the free failures: throttled too
				r := c.login("nobody-by-this-name", "wrong-password")
				if r.status != http.StatusUnauthorized && r.status != http.StatusTooManyRequests {
					t.Fatalf("status %d, want 401 or 429", r.status)
				}
			}
			h.syncEvents(t)
			if n := h.countEvents(t); n != 0 {
				t.Errorf("%d events for an unknown name, want none", n)
			}
		})

		t.Run("ThrottledLogInsAreRecorded", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			owner, c := h.client(t), h.client(t)
			owner.mustLogin(demoUsername, demoPassword)
			for i := 0; i < auth.DefaultThrottle.FreeFailures; i++ {
				wantStatus(t, c.login(demoUsername, "wrong-password"), http.StatusUnauthorized)
			}
			wantStatus(t, c.login(demoUsername, demoPassword), http.StatusTooManyRequests)
			h.syncEvents(t)
			got := kindsOf(owner.eventsOf())
			if got != "login-throttled,login-failed,login" && got != "login-failed,login-throttled,login" {
				t.Errorf("events %s, want the log-in, the throttled and the failed ones", got)
			}
		})

		t.Run("PagesAndLimits", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			c := h.client(t)
			wantStatus(t, c.do(http.MethodGet, "/api/users/me/events", nil), http.StatusUnauthorized)
			c.mustLogin(demoUsername, demoPassword)
			demo := int64(userOf(t, c.do(http.MethodGet, "/api/session", nil))["id"].(float64))
			for i := 0; i < 24; i++ {
				if err := h.db.RecordEvent(context.Background(), events.Event{UserID: demo, Kind: events.Logout, At: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			first := c.do(http.MethodGet, "/api/users/me/events", nil).jsonObject(t)
			if n := len(first["events"].([]any)); n != 20 {
				t.Fatalf("first page of %d, want the default 20", n)
			}
			next, ok := first["nextCursor"].(string)
			if !ok {
				t.Fatalf("no nextCursor after a full page: %v", first["nextCursor"])
			}
			rest := c.do(http.MethodGet, "/api/users/me/events?cursor="+next, nil).jsonObject(t)
			if n := len(rest["events"].([]any)); n != 5 || rest["nextCursor"] != nil {
				t.Fatalf("second page of %d, next %v; want the 5 left (24 and the log-in) and no next", n, rest["nextCursor"])
			}
			if last := rest["events"].([]any)[4].(map[string]any); last["kind"] != "login" || last["current"] != true {
				t.Errorf("oldest event %v, want this session's log-in, current", last)
			}
			for _, q := range []string{"limit=0", "limit=101", "limit=ten", "cursor=abc", "cursor=-1"} {
				wantStatus(t, c.do(http.MethodGet, "/api/users/me/events?"+q, nil), http.StatusBadRequest)
			}
			if n := len(c.do(http.MethodGet, "/api/users/me/events?limit=100", nil).jsonObject(t)["events"].([]any)); n != 25 {
				t.Errorf("limit=100 gave %d, want all 25", n)
			}
		})
	})
}

// TestOpenAPIListsEveryEventKind keeps the document's enum of kinds and the events
// package's in step.
func TestOpenAPIListsEveryEventKind(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("openapi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "enum: [" + strings.Join(events.Kinds(), ", ") + "]"
	if !strings.Contains(string(doc), want) {
		t.Errorf("openapi.yaml's SecurityEvent kind enum is not %s", want)
	}
}
