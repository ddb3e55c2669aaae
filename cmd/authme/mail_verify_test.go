package main

import (
	"net/http"
	"testing"

	"authme/internal/recovery"
)

// signUp signs a new account up from c and returns its verification link's token.
func signUp(t *testing.T, site *mailSite, c *apiClient, username, email string) string {
	t.Helper()
	r := c.must(http.StatusCreated, "POST", "/api/users", map[string]string{"username": username, "email": email, "password": mailPassword})
	if got := r.JSON(t)["emailVerifiedAt"]; got != nil {
		t.Errorf("a new account's emailVerifiedAt is %v, want null", got)
	}
	return token(t, site.mail(t, email, subjectVerify), recovery.PathVerify)
}

func verificationCases(t *testing.T, site *mailSite) {
	t.Run("SignUpSendsAVerificationMailThatVerifies", func(t *testing.T) {
		t.Parallel()
		email := "signup-verify@example.test"
		c := site.client(t)
		tok := signUp(t, site, c, "signup-verify", email)
		if got := c.must(http.StatusOK, "GET", "/api/session", nil).JSON(t)["emailVerifiedAt"]; got != nil {
			t.Errorf("emailVerifiedAt before the link is followed = %v, want null", got)
		}
		r := c.must(http.StatusOK, "POST", "/api/email-verification/confirm", map[string]string{"token": tok})
		if r.field(t, "emailVerifiedAt") == "" {
			t.Errorf("confirm = %s, want emailVerifiedAt", r)
		}
		if got := c.must(http.StatusOK, "GET", "/api/session", nil).field(t, "emailVerifiedAt"); got != r.field(t, "emailVerifiedAt") {
			t.Errorf("GET /api/session emailVerifiedAt = %q, want %q", got, r.field(t, "emailVerifiedAt"))
		}
	})

	t.Run("ResendForAVerifiedAddressSendsNothing", func(t *testing.T) {
		t.Parallel()
		email := "verified-resend@example.test"
		c := site.client(t)
		tok := signUp(t, site, c, "verified-resend", email)
		c.must(http.StatusOK, "POST", "/api/email-verification/confirm", map[string]string{"token": tok})
		before := site.mailsTo(t, email)
		c.must(http.StatusAccepted, "POST", "/api/email-verification", map[string]string{"email": email})
		site.settled(t)
		if after := site.mailsTo(t, email); after != before {
			t.Errorf("mails to the verified address went from %d to %d", before, after)
		}
	})

	t.Run("ResendForAnUnverifiedAddressSupersedesTheFirstLink", func(t *testing.T) {
		t.Parallel()
		email := "unverified-resend@example.test"
		c := site.client(t)
		first := signUp(t, site, c, "unverified-resend", email)
		c.must(http.StatusAccepted, "POST", "/api/email-verification", map[string]string{"email": email})
		second := token(t, site.mail(t, email, subjectVerify), recovery.PathVerify)
		tokenError(t, c.do("POST", "/api/email-verification/confirm", map[string]string{"token": first}))
		c.must(http.StatusOK, "POST", "/api/email-verification/confirm", map[string]string{"token": second})
	})

	t.Run("TokenForAnOldAddressRefusedAfterEmailChange", func(t *testing.T) {
		t.Parallel()
		old, next := "old-verify@example.test", "new-verify@example.test"
		c := site.client(t)
		tok := signUp(t, site, c, "old-verify", old)
		c.must(http.StatusAccepted, "PUT", "/api/users/me/email", map[string]string{"password": mailPassword, "email": next})
		change := token(t, site.mail(t, next, subjectChangeConfirm), recovery.PathEmailChange)
		c.must(http.StatusOK, "POST", "/api/email-change/confirm", map[string]string{"token": change})
		tokenError(t, c.do("POST", "/api/email-verification/confirm", map[string]string{"token": tok}))
	})
}
