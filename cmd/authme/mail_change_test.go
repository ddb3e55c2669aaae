package main

import (
	"net/http"
	"strings"
	"testing"

	"authme/internal/recovery"
)

func emailChangeCases(t *testing.T, site *mailSite) {
	t.Run("WrongPasswordIs400", func(t *testing.T) {
		t.Parallel()
		email := "wrongpw-change@example.test"
		site.account(t, "wrongpw-change", email)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		r := c.do("PUT", "/api/users/me/email", map[string]string{"password": "not the password", "email": "wrongpw-new@example.test"})
		if r.Status != http.StatusBadRequest || r.field(t, "errors", "password") == "" {
			t.Fatalf("wrong password = %s, want 400 with errors.password", r)
		}
	})

	t.Run("TakenAddressIs409", func(t *testing.T) {
		t.Parallel()
		email, taken := "taken-change@example.test", "taken-other@example.test"
		site.account(t, "taken-change", email)
		site.account(t, "taken-other", taken)
		c := site.client(t)
		c.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": email, "password": mailPassword})
		c.must(http.StatusConflict, "PUT", "/api/users/me/email", map[string]string{"password": mailPassword, "email": taken})
	})

	t.Run("ConfirmMovesTheAccountAndUndoMovesItBack", func(t *testing.T) {
		t.Parallel()
		old, next := "old-change@example.test", "new-change@example.test"
		site.account(t, "mover", old)
		c, other := site.client(t), site.client(t)
		for _, b := range []*apiClient{c, other} {
			b.must(http.StatusOK, "POST", "/api/session", map[string]string{"credential": old, "password": mailPassword})
		}
		resetTok := requestReset(t, site, c, old) // a link sent before the change

		c.must(http.StatusAccepted, "PUT", "/api/users/me/email", map[string]string{"password": mailPassword, "email": next})
		change := token(t, site.mail(t, next, subjectChangeConfirm), recovery.PathEmailChange)
		if m := site.mail(t, old, subjectChangeNotice); !strings.Contains(m.Text, next) {
			t.Errorf("the notice to the old address does not name the new one:\n%s", m.Text)
		}
		if got := c.must(http.StatusOK, "GET", "/api/session", nil).field(t, "user", "email"); got != old {
			t.Errorf("before the link is followed the address is %q, want %q", got, old)
		}

		r := c.must(http.StatusOK, "POST", "/api/email-change/confirm", map[string]string{"token": change})
		if got := r.field(t, "email"); got != next {
			t.Errorf("confirm answers email %q, want %q", got, next)
		}
		if got := c.must(http.StatusOK, "GET", "/api/session", nil).field(t, "user", "email"); got != next {
			t.Errorf("after the change this session sees %q, want %q", got, next)
		}
		if got := other.sessionUser(); got != "" {
			t.Errorf("another session survived the change (user %q)", got)
		}
		if r := site.client(t).login(next, mailPassword); r.Status != http.StatusOK {
			t.Errorf("log-in with the new address = %s, want 200", r)
		}
		undo := token(t, site.mail(t, old, subjectChanged), recovery.PathEmailUndo)
		tokenError(t, confirmReset(site.client(t), resetTok, newPassword))

		stranger := site.client(t)
		r = stranger.must(http.StatusOK, "POST", "/api/email-change/undo", map[string]string{"token": undo})
		if got := r.field(t, "email"); got != old {
			t.Errorf("undo answers email %q, want %q", got, old)
		}
		if got := c.sessionUser(); got != "" {
			t.Errorf("the session that made the change survived the undo (user %q)", got)
		}
		if r := stranger.login(old, mailPassword); r.Status != http.StatusOK || r.field(t, "user", "email") != old {
			t.Errorf("log-in with the old address after the undo = %s", r)
		}
		tokenError(t, stranger.do("POST", "/api/email-change/undo", map[string]string{"token": undo}))
	})
}
