package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"authme/internal/events"
)

// sessionCookie is the session's cookie in development.
const sessionCookie = "token"

// keys lists an object's keys, sorted.
func keys(m map[string]any) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// requireSessionBody requires r to be a log-in's 200: exactly {"user", "emailVerifiedAt"}
// (and recoveryCodesRemaining when a recovery code was used), the same user and
// emailVerifiedAt GET /api/session then answers, and a session cookie.
func requireSessionBody(t *testing.T, c *apiClient, r apiReply, extra ...string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("got %s, want 200", r)
	}
	m := r.JSON(t)
	want := slices.Sorted(slices.Values(append([]string{"user", "emailVerifiedAt"}, extra...)))
	if got := keys(m); !slices.Equal(got, want) {
		t.Errorf("body keys %q, want %q: %s", got, want, r)
	}
	if user, _ := m["user"].(map[string]any); !slices.Equal(keys(user), []string{"email", "id", "username"}) {
		t.Errorf("user object %v, want exactly id, username, email", user)
	}
	if setCookieOf(r, sessionCookie) == nil {
		t.Errorf("no session cookie set: %v", r.Header["Set-Cookie"])
	}
	s := c.must(http.StatusOK, "GET", "/api/session", nil).JSON(t)
	for _, k := range []string{"user", "emailVerifiedAt"} {
		a, _ := json.Marshal(m[k])
		b, _ := json.Marshal(s[k])
		if !bytes.Equal(a, b) {
			t.Errorf("the log-in's %s is %s, GET /api/session's %s", k, a, b)
		}
	}
}

func loginCases(t *testing.T, site *totpSite) {
	t.Run("WithoutTOTPExactlyAsBefore", func(t *testing.T) {
		t.Parallel()
		email := "plain-login@example.test"
		site.account(t, "plain-login", email)
		c := site.client(t)
		r := c.login(email, mailPassword)
		requireSessionBody(t, c, r)
		if ck := setCookieOf(r, attemptCookie); ck != nil {
			t.Errorf("a log-in without a second factor set %s", ck)
		}
		if c.sessionUser() != "plain-login" {
			t.Errorf("no session after a one-step log-in")
		}
		if e := waitEvent(t, c, events.Login); detail(e, events.DetailMethod) != "password" {
			t.Errorf("the log-in event's method is %q, want password: %v", detail(e, events.DetailMethod), e)
		}
	})

	t.Run("PasswordThenCode", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "two-step")
		c := site.client(t)
		before := time.Now()
		r := u.password(t, c)
		m := r.JSON(t)
		if got := keys(m); !slices.Equal(got, []string{"secondFactor", "user"}) || m["user"] != nil {
			t.Errorf("202 body %s, want exactly {\"user\": null, \"secondFactor\": ...}", r)
		}
		sf, _ := m["secondFactor"].(map[string]any)
		if methods, _ := json.Marshal(sf["methods"]); string(methods) != `["totp","recoveryCode"]` {
			t.Errorf("secondFactor.methods = %s, want [\"totp\",\"recoveryCode\"]", methods)
		}
		exp, err := time.Parse(time.RFC3339, r.field(t, "secondFactor", "expiresAt"))
		if err != nil || exp.Before(before.Add(290*time.Second)) || exp.After(time.Now().Add(310*time.Second)) {
			t.Errorf("secondFactor.expiresAt %q is not 5 minutes from now (%v)", r.field(t, "secondFactor", "expiresAt"), err)
		}
		if ck := setCookieOf(r, sessionCookie); ck != nil && ck.MaxAge >= 0 {
			t.Errorf("the password step set a session cookie: %s", ck)
		}
		// Max-Age is what is left of the attempt's 5 minutes: a second may have gone.
		ck := setCookieOf(r, attemptCookie)
		if ck == nil || !ck.HttpOnly || ck.Path != "/" || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge < 299 || ck.MaxAge > 300 || len(ck.Value) < 20 {
			t.Errorf("attempt cookie %v, want HttpOnly, Path=/, SameSite=Strict, Max-Age=300 and a long random value", ck)
		}
		if got := c.sessionUser(); got != "" {
			t.Fatalf("after the password alone GET /api/session is %q's", got)
		}
		if r := c.do("GET", "/api/users/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("after the password alone GET /api/users/me = %s, want 401", r)
		}

		// The code as an app shows it, with a space in the middle.
		tok := c.cookie(attemptCookie)
		code := u.code(t)
		r = secondFactor(c, map[string]string{"code": code[:3] + " " + code[3:]})
		requireSessionBody(t, c, r)
		if ck := setCookieOf(r, attemptCookie); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("the second factor did not clear the attempt cookie: %v", ck)
		}
		if got := c.sessionUser(); got != u.name {
			t.Fatalf("after the second factor the session is %q's", got)
		}
		if e := waitEvent(t, c, events.Login); detail(e, "method") != "password+totp" {
			t.Errorf("the log-in event's method is %q, want password+totp: %v", detail(e, "method"), e)
		}
		// The attempt is spent: its cookie, replayed, finishes nothing.
		replay := site.client(t)
		replay.setCookie(attemptCookie, tok)
		attemptError(t, secondFactor(replay, map[string]string{"code": u.unspent(t)}))
	})

	// A browser logged in as someone else that finishes a two-step log-in keeps no
	// trace of the old session: it ends, as with a one-step log-in (no fixation).
	t.Run("SecondStepEndsTheSessionItCameWith", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "two-step-switch")
		site.account(t, "switch-from", "switch-from@example.test")
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": "switch-from@example.test", "password": mailPassword})
		old := c.cookie(sessionCookie)
		u.password(t, c)
		requireSessionBody(t, c, secondFactor(c, map[string]string{"code": u.code(t)}))
		if c.cookie(sessionCookie) == old {
			t.Errorf("the session token did not change")
		}
		stale := site.client(t)
		stale.setCookie(sessionCookie, old)
		if got := stale.sessionUser(); got != "" {
			t.Errorf("the session the log-in came with lives on (user %q)", got)
		}
	})

	t.Run("WrongPasswordIsTheSame401", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "two-step-wrong")
		c := site.client(t)
		a := c.login(u.email, "not the password")
		b := c.login("nobody-at-all@example.test", "not the password")
		if a.Status != http.StatusUnauthorized || !bytes.Equal(a.Body, b.Body) {
			t.Errorf("wrong password of a TOTP account = %s; unknown account = %s; want the same 401", a, b)
		}
		if setCookieOf(a, attemptCookie) != nil {
			t.Errorf("a wrong password began an attempt")
		}
	})

	// A code is accepted once: not by the same server again, nor by another over the
	// same database.
	t.Run("ReplayedCodeRefusedOnEveryInstance", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "replay")
		a := site.client(t)
		u.password(t, a)
		code := u.code(t)
		requireSessionBody(t, a, secondFactor(a, map[string]string{"code": code}))

		for i, base := range site.URLs {
			c := site.client(t).at(base)
			u.password(t, c)
			fieldError(t, secondFactor(c, map[string]string{"code": code}), http.StatusUnauthorized, "code")
			if got := c.sessionUser(); got != "" {
				t.Errorf("server %d: a replayed code logged in %q", i, got)
			}
			if i == 1 {
				// The attempt outlives one wrong code.
				requireSessionBody(t, c, secondFactor(c, map[string]string{"code": u.code(t)}))
			}
		}
	})

	// Two attempts, one on each server, send the same right code at once: the step is
	// spent once, so exactly one logs in.
	t.Run("RacingCodesOneWins", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "race-code")
		var clients []*apiClient
		for _, base := range site.URLs {
			c := site.client(t).at(base)
			u.password(t, c)
			clients = append(clients, c)
		}
		code := u.code(t)
		type result struct {
			r   apiReply
			err error
		}
		results := make(chan result, len(clients))
		for _, c := range clients {
			go func() {
				r, err := c.send("POST", "/api/session/second-factor", map[string]string{"code": code})
				results <- result{r, err}
			}()
		}
		var statuses []int
		for range clients {
			res := <-results
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.r.Status == http.StatusUnauthorized {
				fieldError(t, res.r, http.StatusUnauthorized, "code")
			}
			statuses = append(statuses, res.r.Status)
		}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusUnauthorized}) {
			t.Errorf("statuses %v, want one 200 and one 401", statuses)
		}
	})

	// An attempt checks the code of its own account: another's current code is wrong.
	t.Run("AnotherAccountsCodeRefused", func(t *testing.T) {
		t.Parallel()
		u, other := site.enrolled(t, "own-code"), site.enrolled(t, "not-own-code")
		c := site.client(t)
		u.password(t, c)
		theirs := other.unspent(t)
		if theirs == u.unspent(t) {
			t.Skip("the two accounts' codes happen to match this step")
		}
		fieldError(t, secondFactor(c, map[string]string{"code": theirs}), http.StatusUnauthorized, "code")
		fieldError(t, secondFactor(c, map[string]string{"recoveryCode": other.recovery[0]}), http.StatusUnauthorized, "recoveryCode")
		requireSessionBody(t, c, secondFactor(c, map[string]string{"code": u.code(t)}))
		if got := c.sessionUser(); got != u.name {
			t.Errorf("the session is %q's, want %q's", got, u.name)
		}
	})

	t.Run("AttemptBegunOnOneInstanceFinishedOnAnother", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "two-instances")
		a := site.client(t)
		u.password(t, a)
		b := a.at(site.URLs[1])
		b.setCookie(attemptCookie, a.cookie(attemptCookie))
		requireSessionBody(t, b, secondFactor(b, map[string]string{"code": u.code(t)}))
		if got := b.sessionUser(); got != u.name {
			t.Errorf("on the second server the session is %q's", got)
		}
		attemptError(t, secondFactor(a, map[string]string{"code": u.unspent(t)}))
	})

	// A malformed code is refused before it is checked: not counted, so the attempt
	// and the account's count are untouched.
	t.Run("MalformedCodeIs400AndNotCounted", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "malformed")
		c := site.client(t)
		u.password(t, c)
		for _, body := range []map[string]string{
			{"code": "12345"}, {"code": "1234567"}, {"code": "abcdef"}, {"code": ""}, {"code": "12a456"}, {"code": "１２３４５６"},
			{"recoveryCode": "too-short"}, {"recoveryCode": "abcd-efgh-ijkl-mnop-qrst-uvw1"},
			{}, {"code": "123456", "recoveryCode": u.recovery[0]},
		} {
			if r := secondFactor(c, body); r.Status != http.StatusBadRequest {
				t.Errorf("%v = %s, want 400", body, r)
			}
		}
		requireSessionBody(t, c, secondFactor(c, map[string]string{"code": u.code(t)}))
	})
}

func attemptCases(t *testing.T, site *totpSite) {
	t.Run("MissingGarbageOrExpiredCookieIs401", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "attempt-cookie")
		c := site.client(t)
		attemptError(t, secondFactor(c, map[string]string{"code": u.unspent(t)}))
		for _, v := range []string{"garbage", strings.Repeat("A", 43), strings.Repeat("x", 4000), "%00'--"} {
			c.setCookie(attemptCookie, v)
			attemptError(t, secondFactor(c, map[string]string{"code": u.unspent(t)}))
		}

		// The attempt lives 5 minutes: the row says so, and one whose time is up is refused.
		c = site.client(t)
		u.password(t, c)
		var created, expires int64
		if err := site.db.SQL().QueryRow(`SELECT "createdAt", "expiresAt" FROM "PendingLogins" WHERE "userId" = $1`, u.id).Scan(&created, &expires); err != nil {
			t.Fatalf("read the attempt's row: %v", err)
		}
		if expires-created != 300 {
			t.Errorf("the attempt's row lives %d s, want 300", expires-created)
		}
		res, err := site.db.SQL().Exec(`UPDATE "PendingLogins" SET "expiresAt" = "createdAt" - 1 WHERE "userId" = $1`, u.id)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("expired %d attempts, want 1", n)
		}
		attemptError(t, secondFactor(c, map[string]string{"code": u.unspent(t)}))
		if got := c.sessionUser(); got != "" {
			t.Errorf("an expired attempt logged in %q", got)
		}
	})

	// The second step is a state-changing request like any other: without the CSRF
	// token it is refused before the code is looked at, and the attempt goes on.
	t.Run("NeedsTheCSRFToken", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "attempt-csrf")
		c := site.client(t)
		u.password(t, c)
		xsrf := c.cookie("XSRF-TOKEN")
		c.setCookie("XSRF-TOKEN", "") // so send adds no XSRF-Token header
		if r := secondFactor(c, map[string]string{"code": u.unspent(t)}); r.Status != http.StatusForbidden {
			t.Errorf("without the CSRF token = %s, want 403", r)
		}
		c.setCookie("XSRF-TOKEN", xsrf)
		requireSessionBody(t, c, secondFactor(c, map[string]string{"code": u.code(t)}))
	})

	t.Run("FiveWrongCodesEndTheAttempt", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "five-wrong")
		c := site.client(t)
		u.password(t, c)
		tok := c.cookie(attemptCookie)
		for i := 1; i <= 4; i++ {
			r := secondFactor(c, map[string]string{"code": u.wrongCode(t)})
			fieldError(t, r, http.StatusUnauthorized, "code")
			if r.field(t, "errors", "attempt") != "" {
				t.Fatalf("wrong code %d ended the attempt: %s", i, r)
			}
		}
		r := secondFactor(c, map[string]string{"code": u.wrongCode(t)})
		attemptError(t, r)
		if r.field(t, "errors", "code") == "" {
			t.Errorf("the fifth wrong code does not say the code was wrong: %s", r)
		}
		if ck := setCookieOf(r, attemptCookie); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("the fifth wrong code did not clear the attempt cookie: %v", ck)
		}
		// Even a browser that kept the cookie cannot go on with the right code.
		c.setCookie(attemptCookie, tok)
		attemptError(t, secondFactor(c, map[string]string{"code": u.unspent(t)}))
		if got := c.sessionUser(); got != "" {
			t.Errorf("an ended attempt logged in %q", got)
		}
		if e := waitEvent(t, u.c, events.SecondFactorFailed); detail(e, "method") != "totp" {
			t.Errorf("second-factor-failed has method %q, want totp: %v", detail(e, "method"), e)
		}
	})

	// Wrong codes count per account, across attempts and instances: after five the
	// right code waits, and a right password does not clear the count.
	t.Run("WrongCodesThrottleTheAccount", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "code-throttle")
		for i, n := range []int{3, 2} {
			c := site.client(t).at(site.URLs[i])
			u.password(t, c)
			for range n {
				fieldError(t, secondFactor(c, map[string]string{"code": u.wrongCode(t)}), http.StatusUnauthorized, "code")
			}
		}
		for i, base := range site.URLs {
			c := site.client(t).at(base)
			u.password(t, c) // a right password: the count stays
			r := secondFactor(c, map[string]string{"code": u.unspent(t)})
			retryAfter(t, r)
			if got := c.sessionUser(); got != "" {
				t.Errorf("server %d: a throttled account logged in %q", i, got)
			}
		}
		// Another account is not held back.
		other := site.enrolled(t, "code-throttle-other")
		other.logIn(t, site.client(t))
	})
}

func recoveryCodeCases(t *testing.T, site *totpSite) {
	t.Run("EachCodeLogsInOnce", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "recovery-login")
		c := site.client(t)
		u.password(t, c)
		r := secondFactor(c, map[string]string{"recoveryCode": u.recovery[0]})
		requireSessionBody(t, c, r, "recoveryCodesRemaining")
		if n, _ := r.JSON(t)["recoveryCodesRemaining"].(float64); n != 9 {
			t.Errorf("recoveryCodesRemaining = %v, want 9", r.JSON(t)["recoveryCodesRemaining"])
		}
		if m := site.mail(t, u.email, subjectRecoveryCodeUsed); !strings.Contains(m.Text, "9 left") {
			t.Errorf("the notice does not say 9 codes remain:\n%s", m.Text)
		}
		if _, _, n := totpStatus(t, c); n != 9 {
			t.Errorf("status counts %d recovery codes, want 9", n)
		}
		if e := waitEvent(t, c, events.Login); detail(e, "method") != "password+recovery-code" {
			t.Errorf("the log-in event's method is %q, want password+recovery-code", detail(e, "method"))
		}
		if e := waitEvent(t, c, events.RecoveryCodeUsed); detail(e, "remaining") != "9" {
			t.Errorf("recovery-code-used says %q remain, want 9: %v", detail(e, "remaining"), e)
		}

		again := site.client(t)
		u.password(t, again)
		fieldError(t, secondFactor(again, map[string]string{"recoveryCode": u.recovery[0]}), http.StatusUnauthorized, "recoveryCode")
		// Typed in capitals, without dashes, with spaces: still the code.
		typed := strings.ToUpper(strings.ReplaceAll(u.recovery[1], "-", " "))
		r = secondFactor(again, map[string]string{"recoveryCode": typed})
		requireSessionBody(t, again, r, "recoveryCodesRemaining")
		if n, _ := r.JSON(t)["recoveryCodesRemaining"].(float64); n != 8 {
			t.Errorf("recoveryCodesRemaining = %v, want 8", r.JSON(t)["recoveryCodesRemaining"])
		}
		site.mail(t, u.email, subjectRecoveryCodeUsed)
	})

	t.Run("RegenerateVoidsTheOldCodes", func(t *testing.T) {
		t.Parallel()
		u := site.enrolled(t, "recovery-regen")
		fieldError(t, u.c.do("POST", "/api/users/me/totp/recovery-codes", map[string]string{"password": "not the password", "code": u.wrongCode(t)}), http.StatusBadRequest, "password")
		fieldError(t, u.c.do("POST", "/api/users/me/totp/recovery-codes", map[string]string{"password": mailPassword}), http.StatusBadRequest, "code")
		fieldError(t, u.c.do("POST", "/api/users/me/totp/recovery-codes", map[string]string{"password": mailPassword, "code": u.wrongCode(t)}), http.StatusBadRequest, "code")

		r := u.c.must(http.StatusOK, "POST", "/api/users/me/totp/recovery-codes", map[string]string{"password": mailPassword, "code": u.code(t)})
		fresh := stringList(t, r, "recoveryCodes")
		if len(fresh) != 10 {
			t.Fatalf("regenerated %d codes, want 10", len(fresh))
		}
		for _, code := range fresh {
			if slices.Contains(u.recovery, code) {
				t.Errorf("the new codes include an old one, %q", code)
			}
		}
		if _, _, n := totpStatus(t, u.c); n != 10 {
			t.Errorf("status counts %d recovery codes, want 10", n)
		}
		waitEvent(t, u.c, events.RecoveryCodesGenerated)

		c := site.client(t)
		u.password(t, c)
		fieldError(t, secondFactor(c, map[string]string{"recoveryCode": u.recovery[2]}), http.StatusUnauthorized, "recoveryCode")
		r = secondFactor(c, map[string]string{"recoveryCode": fresh[0]})
		requireSessionBody(t, c, r, "recoveryCodesRemaining")
		if n := r.JSON(t)["recoveryCodesRemaining"]; n != float64(9) {
			t.Errorf("recoveryCodesRemaining = %v, want 9", n)
		}
	})
}
