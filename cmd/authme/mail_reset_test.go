package main

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"authme/internal/outbox"
	"authme/internal/recovery"
	"authme/internal/testdb"
	"authme/internal/tokens"
)

// Subjects of the mails, as the templates write them.
const (
	subjectReset          = "Reset your password"
	subjectPasswordChange = "Your password was changed"
	subjectVerify         = "Confirm your email address"
	subjectChangeConfirm  = "Confirm your new email address"
	subjectChangeNotice   = "Someone asked to change your email address"
	subjectChanged        = "Your email address was changed"
)

// newPassword is what the tests set through a reset link.
const newPassword = "a brand new passphrase"

// TestMailFlows runs the flows of issue 13 through the real program and a real Mailpit,
// one server per database, each case with accounts and a client address of its own.
func TestMailFlows(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startMailSite(t, tg, 1)
		t.Run("Reset", func(t *testing.T) { resetCases(t, site) })
		t.Run("Verification", func(t *testing.T) { verificationCases(t, site) })
		t.Run("ChangeOfEmail", func(t *testing.T) { emailChangeCases(t, site) })
		t.Run("Throttled", func(t *testing.T) { throttleCases(t, site) })
	})
}

// requestReset asks for a reset link for email and reads its token from the mail.
func requestReset(t *testing.T, site *mailSite, c *apiClient, email string) string {
	t.Helper()
	c.must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": email})
	return token(t, site.mail(t, email, subjectReset), recovery.PathReset)
}

func confirmReset(c *apiClient, tok, pw string) apiReply {
	c.t.Helper()
	return c.do("POST", "/api/password-reset/confirm", map[string]string{"token": tok, "password": pw})
}

func resetCases(t *testing.T, site *mailSite) {
	t.Run("ResetForUnknownAddressAnswersLikeAKnownOne", func(t *testing.T) {
		t.Parallel()
		known, unknown := "known-reset@example.test", "nobody-reset@example.test"
		site.account(t, "known-reset", known)
		before := site.outboxRows(t, outbox.KindPasswordReset, known) + site.outboxRows(t, outbox.KindPasswordReset, unknown)
		c := site.client(t)
		a := c.must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": unknown})
		b := c.must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": known})
		if !bytes.Equal(a.Body, b.Body) {
			t.Errorf("bodies differ:\nunknown: %s\nknown:   %s", a.Body, b.Body)
		}
		if ha, hb := headersBut(a.Header), headersBut(b.Header); !slices.Equal(ha, hb) {
			t.Errorf("headers differ:\nunknown: %q\nknown:   %q", ha, hb)
		}
		after := site.outboxRows(t, outbox.KindPasswordReset, known) + site.outboxRows(t, outbox.KindPasswordReset, unknown)
		if after-before != 2 {
			t.Errorf("outbox rows for the two addresses went from %d to %d, want one each", before, after)
		}
		site.mail(t, known, subjectReset)
		site.settled(t)
		if n := site.mailsTo(t, unknown); n != 0 {
			t.Errorf("%d mails to the unknown address", n)
		}
	})

	t.Run("ResetLinkUsesPublicURLWhateverTheHost", func(t *testing.T) {
		t.Parallel()
		email := "host-reset@example.test"
		site.account(t, "host-reset", email)
		c := site.client(t)
		c.must(http.StatusAccepted, "POST", "/api/password-reset", map[string]string{"email": email}, "Host", "evil.example")
		m := site.mail(t, email, subjectReset)
		token(t, m, recovery.PathReset) // fails unless the text's link is PUBLIC_URL's
		for _, l := range linkRE.FindAllStringSubmatch(m.HTML, -1) {
			if l[1] != mailPublicURL+recovery.PathReset {
				t.Errorf("the HTML part links to %s", l[1])
			}
		}
		if strings.Contains(m.Text+m.HTML, "evil.example") {
			t.Errorf("the mail names the request's Host:\n%s", m.Text)
		}
		// Who asked is the client behind the trusted proxy, not the proxy.
		if !strings.Contains(m.Text, "from the address "+c.ip) {
			t.Errorf("the mail does not name the client address %s:\n%s", c.ip, m.Text)
		}
	})

	t.Run("ResetSetsPasswordEndsSessionsAndLogsIn", func(t *testing.T) {
		t.Parallel()
		email := "full-reset@example.test"
		site.account(t, "full-reset", email)
		other := site.client(t)
		other.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		if got := other.sessionUser(); got != "full-reset" {
			t.Fatalf("the other browser is logged in as %q", got)
		}
		c := site.client(t)
		tok := requestReset(t, site, c, email)
		r := confirmReset(c, tok, newPassword)
		if r.Status != http.StatusOK || r.field(t, "user", "username") != "full-reset" || r.field(t, "emailVerifiedAt") == "" {
			t.Fatalf("confirm = %s, want 200 with the user and emailVerifiedAt", r)
		}
		if got := c.sessionUser(); got != "full-reset" {
			t.Errorf("after the reset this browser is logged in as %q", got)
		}
		if got := c.must(http.StatusOK, "GET", "/api/session", nil).field(t, "emailVerifiedAt"); got == "" {
			t.Errorf("GET /api/session has no emailVerifiedAt after a reset")
		}
		if got := other.sessionUser(); got != "" {
			t.Errorf("the other browser's session survived the reset (user %q)", got)
		}
		fresh := site.client(t)
		if r := fresh.login(email, mailPassword); r.Status != http.StatusUnauthorized {
			t.Errorf("log-in with the old password = %s, want 401", r)
		}
		if r := fresh.login(email, newPassword); r.Status != http.StatusOK {
			t.Errorf("log-in with the new password = %s, want 200", r)
		}
		site.mail(t, email, subjectPasswordChange)
	})

	t.Run("UsedTokenRefused", func(t *testing.T) {
		t.Parallel()
		email := "used-reset@example.test"
		site.account(t, "used-reset", email)
		c := site.client(t)
		tok := requestReset(t, site, c, email)
		if r := confirmReset(c, tok, newPassword); r.Status != http.StatusOK {
			t.Fatalf("first use = %s", r)
		}
		tokenError(t, confirmReset(site.client(t), tok, "yet another passphrase"))
	})

	// Two browsers confirm one link at once: one gets the account, the other the
	// refusal of a used link, on both databases.
	t.Run("RacingConfirmationsOneWins", func(t *testing.T) {
		t.Parallel()
		email := "race-reset@example.test"
		site.account(t, "race-reset", email)
		tok := requestReset(t, site, site.client(t), email)
		a, b := site.client(t), site.client(t)
		type result struct {
			r   apiReply
			err error
		}
		results := make(chan result, 2)
		for _, c := range []*apiClient{a, b} {
			go func() {
				r, err := c.send("POST", "/api/password-reset/confirm", map[string]string{"token": tok, "password": newPassword})
				results <- result{r, err}
			}()
		}
		var statuses []int
		for range 2 {
			res := <-results
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.r.Status == http.StatusBadRequest {
				tokenError(t, res.r)
			}
			statuses = append(statuses, res.r.Status)
		}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusBadRequest}) {
			t.Errorf("statuses %v, want one 200 and one 400", statuses)
		}
		site.mail(t, email, subjectPasswordChange)
		site.settled(t)
		if n := site.mailsTo(t, email); n != 2 {
			t.Errorf("%d mails to the account, want the link and one notice", n)
		}
	})

	t.Run("SupersededTokenRefused", func(t *testing.T) {
		t.Parallel()
		email := "superseded-reset@example.test"
		site.account(t, "superseded-reset", email)
		c := site.client(t)
		first := requestReset(t, site, c, email)
		second := requestReset(t, site, c, email)
		tokenError(t, confirmReset(c, first, newPassword))
		if r := confirmReset(c, second, newPassword); r.Status != http.StatusOK {
			t.Fatalf("the newer link = %s, want 200", r)
		}
	})

	// RESET_TOKEN_TTL is at least a minute, so the token is made to expire in the
	// database: its expiresAt is moved before its createdAt.
	t.Run("ExpiredTokenRefused", func(t *testing.T) {
		t.Parallel()
		email := "expired-reset@example.test"
		u := site.account(t, "expired-reset", email)
		c := site.client(t)
		tok := requestReset(t, site, c, email)
		res, err := site.db.SQL().Exec(`UPDATE "AccountTokens" SET "expiresAt" = "createdAt" - 1 WHERE "userId" = $1 AND "purpose" = $2`, u.ID, tokens.Reset)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("expired %d tokens, want 1", n)
		}
		tokenError(t, confirmReset(c, tok, newPassword))
		if r := c.login(email, mailPassword); r.Status != http.StatusOK {
			t.Errorf("the password changed anyway: log-in = %s", r)
		}
	})

	t.Run("TokenVoidAfterPasswordChange", func(t *testing.T) {
		t.Parallel()
		email := "changed-reset@example.test"
		site.account(t, "changed-reset", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		tok := requestReset(t, site, c, email)
		c.must(http.StatusOK, "PUT", "/api/users/me/password", map[string]string{"currentPassword": mailPassword, "newPassword": newPassword})
		tokenError(t, confirmReset(site.client(t), tok, "yet another passphrase"))
	})

	t.Run("WeakPasswordKeepsTheLinkUsable", func(t *testing.T) {
		t.Parallel()
		email := "weak-reset@example.test"
		site.account(t, "weak-reset", email)
		c := site.client(t)
		tok := requestReset(t, site, c, email)
		r := confirmReset(c, tok, "password")
		if r.Status != http.StatusBadRequest || r.field(t, "errors", "password") == "" {
			t.Fatalf("a common password = %s, want 400 with errors.password", r)
		}
		if r := confirmReset(c, tok, newPassword); r.Status != http.StatusOK {
			t.Fatalf("the same link with a good password = %s, want 200", r)
		}
	})
}

// headersBut lists a response's headers as "Name: value", without those that differ
// between any two answers (cookies, the request id, the date).
func headersBut(h http.Header) []string {
	var out []string
	for k, vs := range h {
		switch k {
		case "Set-Cookie", "X-Request-Id", "Date":
			continue
		}
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}
