package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/httpapi"
	"authme/internal/outbox"
	"authme/internal/recovery"
	"authme/internal/testdb"
)

func throttleCases(t *testing.T, site *mailSite) {
	// The per-address bucket holds 3 requests for one email address, whoever asks
	// and in whatever case; the 4th waits minutes.
	t.Run("PerEmailAddress", func(t *testing.T) {
		t.Parallel()
		email := "throttled@example.test"
		for range 3 {
			site.client(t).must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": email})
		}
		r := site.client(t).do("POST", "/api/password-reset", map[string]string{"email": strings.ToUpper(email)})
		retryAfter(t, r)
		// Another address from the same kind of client is not held back.
		site.client(t).must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": "not-throttled@example.test"})
	})

	// The per-client bucket holds 20 mail requests, whatever the addresses; it refills
	// at 10 a minute, so a 429 comes within a few requests more however slow this
	// machine is.
	t.Run("PerClientAddress", func(t *testing.T) {
		t.Parallel()
		c := site.client(t)
		for i := range 20 {
			c.must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": fmt.Sprintf("client-%d@example.test", i)})
		}
		for i := 20; ; i++ {
			r := c.do("POST", "/api/password-reset", map[string]string{"email": fmt.Sprintf("client-%d@example.test", i)})
			if r.Status == http.StatusTooManyRequests {
				retryAfter(t, r)
				break
			}
			if r.Status != http.StatusAccepted || i == 30 {
				t.Fatalf("request %d = %s, want 202 then 429", i+1, r)
			}
		}
		site.client(t).must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": "other-client@example.test"})
	})
}

// retryAfter requires a 429 with a Retry-After of a positive number of seconds.
func retryAfter(t *testing.T, r apiReply) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("got %s, want 429", r)
	}
	if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n <= 0 {
		t.Errorf("Retry-After = %q, want seconds", r.Header.Get("Retry-After"))
	}
}

// TestMailServerDownLosesNothing stops Mailpit, asks for a reset, and starts it again:
// the request is accepted at once and the mail arrives when the sender retries. The
// sender's first retry comes 7.5–10 s after the failure (outbox.DefaultFirstRetry less
// jitter), so the wait here is up to 20 s; no setting shortens it for tests.
func TestMailServerDownLosesNothing(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startMailSite(t, tg, 1)
		email := "outage@example.test"
		site.account(t, "outage", email)
		site.mp.Stop()
		site.client(t).must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": email})
		// Wait until the sender has tried and failed, so the mail comes from a retry.
		deadline := time.Now().Add(mailWait)
		for {
			var attempts int
			var lastError string
			err := site.db.SQL().QueryRow(`SELECT "attempts", "lastError" FROM "Outbox" WHERE "kind" = $1 AND "email" = $2`,
				outbox.KindPasswordReset, email).Scan(&attempts, &lastError)
			if err != nil {
				t.Fatalf("read the outbox row: %v", err)
			}
			if attempts > 0 && lastError != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the sender did not try within %v (attempts %d)", mailWait, attempts)
			}
			time.Sleep(50 * time.Millisecond)
		}
		site.mp.Start()
		m := site.mailWithin(t, email, subjectReset, outbox.DefaultFirstRetry+mailWait)
		tok := token(t, m, recovery.PathReset)
		if r := confirmReset(site.client(t), tok, newPassword); r.Status != http.StatusOK {
			t.Errorf("the retried mail's link = %s, want 200", r)
		}
	})
}

// TestRequireVerifiedEmail: with REQUIRE_VERIFIED_EMAIL=true an unverified account's
// right password gets 403 and the way out, a wrong one gets the same 401 as an unknown
// user, and a verified account logs in.
func TestRequireVerifiedEmail(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startMailSite(t, tg, 1, "REQUIRE_VERIFIED_EMAIL", "true")
		email := "unverified@example.test"
		site.account(t, "unverified", email)
		c := site.client(t)

		r := c.login(email, mailPassword)
		if r.Status != http.StatusForbidden || r.field(t, "message") != auth.MsgEmailUnverified {
			t.Errorf("unverified, right password = %s, want 403 %q", r, auth.MsgEmailUnverified)
		}
		if got := c.sessionUser(); got != "" {
			t.Errorf("the refused log-in started a session for %q", got)
		}
		wrong, unknown := c.login(email, "not the password"), c.login("nobody@example.test", "not the password")
		if wrong.Status != http.StatusUnauthorized || string(wrong.Body) != string(unknown.Body) {
			t.Errorf("unverified, wrong password = %s; unknown user = %s; want the same 401", wrong, unknown)
		}

		c.must(http.StatusAccepted, "POST", "/api/email-verification", map[string]string{"email": email})
		tok := token(t, site.mail(t, email, subjectVerify), recovery.PathVerify)
		c.must(http.StatusOK, "POST", "/api/email-verification/confirm", map[string]string{"token": tok})
		if r := c.login(email, mailPassword); r.Status != http.StatusOK {
			t.Errorf("verified = %s, want 200", r)
		}

		// A sign-up proves nothing about the address it gives: it starts no session,
		// and the account logs in once the mailed link is followed.
		s := site.client(t)
		signup := s.do("POST", "/api/users", map[string]string{"username": "newcomer", "email": "newcomer@example.test", "password": mailPassword})
		if signup.Status != http.StatusAccepted || signup.field(t, "message") != httpapi.MsgVerifyFirst {
			t.Fatalf("sign-up = %s, want 202 %q", signup, httpapi.MsgVerifyFirst)
		}
		if got := s.sessionUser(); got != "" {
			t.Errorf("the sign-up started a session for %q before the address was verified", got)
		}
		if r := s.login("newcomer", mailPassword); r.Status != http.StatusForbidden {
			t.Errorf("log-in before verifying = %s, want 403", r)
		}
		tok = token(t, site.mail(t, "newcomer@example.test", subjectVerify), recovery.PathVerify)
		s.must(http.StatusOK, "POST", "/api/email-verification/confirm", map[string]string{"token": tok})
		if r := s.login("newcomer", mailPassword); r.Status != http.StatusOK {
			t.Errorf("log-in after verifying = %s, want 200", r)
		}
	})
}

// TestMailOffInProduction: production without SMTP_URL starts, answers every request
// for mail 503 with a message that says why, and logs in as ever.
func TestMailOffInProduction(t *testing.T) {
	t.Parallel()
	site := startMailSite(t, testdb.Postgres(t), 1,
		"APP_ENV", "production", "SMTP_URL", "", "PUBLIC_URL", "",
		"JWT_SECRET", "production mail-off test secret, 48 bytes long.")
	email := "production@example.test"
	site.account(t, "production", email)
	c := site.client(t)
	for _, req := range []struct{ method, path string }{
		{"POST", "/api/password-reset"},
		{"POST", "/api/email-verification"},
	} {
		r := c.do(req.method, req.path, map[string]string{"email": email})
		if r.Status != http.StatusServiceUnavailable || r.field(t, "message") != auth.MsgMailOff {
			t.Errorf("%s %s = %s, want 503 %q", req.method, req.path, r, auth.MsgMailOff)
		}
	}
	c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
	r := c.do("PUT", "/api/users/me/email", map[string]string{"password": mailPassword, "email": "elsewhere@example.test"})
	if r.Status != http.StatusServiceUnavailable || r.field(t, "message") != auth.MsgMailOff {
		t.Errorf("PUT /api/users/me/email = %s, want 503 %q", r, auth.MsgMailOff)
	}
	if got := c.sessionUser(); got != "production" {
		t.Errorf("logged in as %q, want production", got)
	}
	if n, err := site.db.Outbox().CountPending(context.Background()); err != nil || n != 0 {
		t.Errorf("pending mail = %d (%v), want none", n, err)
	}
	// The operator is told once, at start-up, why the mail flows answer 503.
	if log := site.logs[0].String(); strings.Count(log, "mail is off") != 1 {
		t.Errorf("the log says %q %d times, want once at start-up:\n%s", "mail is off", strings.Count(log, "mail is off"), log)
	}
}

// TestTwoInstancesSendEachMailOnce: two servers share one PostgreSQL database and one
// Mailpit; 20 reset requests for 20 accounts, alternately to each, give exactly one
// mail to each account.
func TestTwoInstancesSendEachMailOnce(t *testing.T) {
	t.Parallel()
	site := startMailSite(t, testdb.Postgres(t), 2)
	const n = 20
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("twice-%02d@example.test", i)
		site.account(t, fmt.Sprintf("twice-%02d", i), emails[i])
	}
	for i, email := range emails {
		c := newClient(t, site.URLs[i%2], clientIP(1000+i))
		c.must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": email})
	}
	for _, email := range emails {
		site.mail(t, email, subjectReset)
	}
	site.settled(t)
	list, err := site.mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Errorf("Mailpit holds %d mails, want %d", len(list), n)
	}
	for _, email := range emails {
		if got := site.mailsTo(t, email); got != 1 {
			t.Errorf("%d mails to %s, want 1", got, email)
		}
	}
	var sent int
	if err := site.db.SQL().QueryRow(`SELECT count(*) FROM "Outbox" WHERE "kind" = $1 AND "sentAt" IS NOT NULL`, outbox.KindPasswordReset).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	if sent != n {
		t.Errorf("%d outbox rows marked sent, want %d", sent, n)
	}
}
