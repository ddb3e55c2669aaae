//go:build !race

// Built without the race detector for the reason timing_test.go gives.

package securitytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"authme/internal/store"
	"authme/internal/testdb"
)

// TestResetRequestsTakeTheSameTime: asking for a password-reset link, or for an email
// verification link, gets the same answer in the same time whether an account has the
// address or not (and, for verification, whether it is verified already): the request
// only queues the mail, and the sender decides off the request path. The sender runs, as
// in production, and really mails the addresses that get mail; each request is timed
// once the sender has finished with the one before, so what is compared is the request
// path alone, not which request happened to wait behind the sender's writes. Measured:
// every pair of medians within 10%.
func TestResetRequestsTakeTheSameTime(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			if _, err := db.SQL().ExecContext(t.Context(),
				`UPDATE "Users" SET "emailVerifiedAt" = 1700000000 WHERE "email" = 'user1@user.io'`); err != nil {
				t.Fatalf("verify user1's address: %v", err)
			}
			sent := &countingTransport{to: map[string]int{}}
			a := start(t, db, options{wire: wireMail(t, db, sent)})
			c := newClient(t, a.URL)

			flows := []struct {
				name, path string
				kinds      []addressKind
			}{
				{"PasswordReset", "/api/password-reset", []addressKind{
					{"existing address", "demo@user.io"},
					{"unknown address", "nobody@user.io"},
				}},
				{"EmailVerification", "/api/email-verification", []addressKind{
					{"verified address", "user1@user.io"},
					{"unverified address", "user2@user.io"},
					{"unknown address", "nobody@user.io"},
				}},
			}
			for _, f := range flows {
				t.Run(f.name, func(t *testing.T) {
					c.t = t
					compareAddressKinds(t, c, db, a.URL+f.path, f.kinds)
				})
			}

			// The measurement means something only if the sender did mail the accounts
			// that get mail, and nobody else.
			waitForOutbox(t, db)
			for addr, want := range map[string]bool{"demo@user.io": true, "user2@user.io": true, "user1@user.io": false, "nobody@user.io": false} {
				if got := sent.count(addr); (got > 0) != want {
					t.Errorf("%d mails to %s, want mail: %v", got, addr, want)
				}
			}
		})
	}
}

// addressKind is one kind of address a timing test asks mail for.
type addressKind struct{ name, email string }

// compareAddressKinds asks url for mail to each kind of address, interleaved with a
// different kind first each time, in rounds of 60 of each, and passes as soon as a round's
// medians are within 10% of each other (a loaded machine gets up to five rounds; a real
// difference misses every one). Every answer must be the same 202.
func compareAddressKinds(t *testing.T, c *client, db *store.DB, url string, kinds []addressKind) {
	t.Helper()
	bodies := make([]string, len(kinds))
	for k, kind := range kinds {
		b, _ := json.Marshal(map[string]string{"email": kind.email})
		bodies[k] = string(b)
	}
	// The first request of each kind goes through the checked client: same answer, as
	// the API document says. The timed ones skip that check, whose cost would dilute
	// the server's.
	var answer string
	for k, kind := range kinds {
		waitForOutbox(t, db)
		r := c.do("POST", url, bodies[k], nil)
		if r.status != http.StatusAccepted {
			t.Fatalf("%s: %d %s, want 202", kind.name, r.status, r.body)
		}
		if answer == "" {
			answer = r.body
		} else if r.body != answer {
			t.Fatalf("%s answered %q, others %q: the answer must not tell", kind.name, r.body, answer)
		}
	}
	raw := &http.Client{Jar: c.http.Jar, Timeout: 20 * time.Second}
	post := func(body string) (time.Duration, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("XSRF-Token", c.xsrf)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		res, err := raw.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return time.Since(start), fmt.Sprint(res.StatusCode, " ", string(b))
	}
	want := fmt.Sprint(http.StatusAccepted, " ", answer)

	var worst float64
	for round := range 5 {
		samples := make([][]time.Duration, len(kinds))
		for i := range 60 {
			for j := range kinds {
				k := (i + j) % len(kinds)
				waitForOutbox(t, db)
				d, got := post(bodies[k])
				if got != want {
					t.Fatalf("%s answered %q, others %q: the answer must not tell", kinds[k].name, got, want)
				}
				samples[k] = append(samples[k], d)
			}
		}
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for k, s := range samples {
			m := median(s)
			t.Logf("round %d: %s: median %v", round+1, kinds[k].name, m)
			lo, hi = min(lo, m), max(hi, m)
		}
		worst = float64(hi-lo) / float64(hi)
		if worst < 0.10 {
			return
		}
	}
	t.Fatalf("slowest and fastest kinds of address %.0f%% apart in every round, want under 10%%", worst*100)
}

// waitForOutbox waits until the sender has dealt with every queued mail.
func waitForOutbox(t *testing.T, db *store.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := db.Outbox().CountPending(t.Context())
		if err != nil {
			t.Fatalf("count pending mail: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails still pending after 30s", n)
		}
		time.Sleep(time.Millisecond)
	}
}
