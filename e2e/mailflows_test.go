package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"authme/internal/auth"
	"authme/internal/mailpit"
	"authme/internal/testdb"
)

// mailTimeout bounds the wait for one mail: the outbox sends it in the background.
const mailTimeout = 30 * time.Second

// The flows that go through mail, end to end: the page in Chromium, the real API, the
// outbox and a real Mailpit, whose mail the test reads and whose links it follows as a
// person would. On both databases.
func TestMailFlows(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Run("ForgotPasswordByKeyboard", func(t *testing.T) { forgotPasswordByKeyboard(t, tg) })
			t.Run("VerifyAfterSignUp", func(t *testing.T) { verifyAfterSignUp(t, tg) })
			t.Run("ChangeEmailAndUndo", func(t *testing.T) { changeEmailAndUndo(t, tg) })
			t.Run("LogInNeedsAConfirmedAddress", func(t *testing.T) { logInNeedsAConfirmedAddress(t, tg) })
			t.Run("MailServerDownThenBack", func(t *testing.T) { mailServerDownThenBack(t, tg) })
		})
	}
}

// forgotPasswordByKeyboard resets the demo user's password with only Tab, Enter and
// typing: from "Forgot password?" to the mail, the link, the new password and a log-in
// with it. A second use of the link is refused.
func forgotPasswordByKeyboard(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv, mp := startMailServer(t, tg)
	const (
		email   = "demo@user.io"
		newPass = "a-new-password-for-demo"
	)
	var resetLink string

	tb.must("AskForALink", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		eval[chromedp.Void](t, tb, `document.activeElement.blur()`)
		tb.tabTo(t, "forgot-open")
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		if got := tb.focused(t); got != "forgot-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.tabTo(t, "forgot-email")
		tb.do(t, chromedp.KeyEvent(email), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		if got := tb.focused(t); got != "forgot-sent-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
	})

	tb.must("TheMailLinksToThePublicURL", func(t *testing.T) {
		m := mp.WaitFor(t, email, mailTimeout)
		resetLink = mailLink(t, m, srv.URL+"/reset-password#token=")
	})

	tb.must("SetANewPassword", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(resetLink), chromedp.WaitVisible(chromedp.ID("view-reset")))
		if got := eval[string](t, tb, `location.href`); got != srv.URL+"/reset-password" {
			t.Errorf("address bar = %q: the token is still in it", got)
		}
		if got := tb.focused(t); got != "reset-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.tabTo(t, "reset-password")
		tb.do(t, chromedp.KeyEvent(newPass), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", email)
		if got := tb.focused(t); got != "user-heading" {
			t.Errorf("focus is on %q, want the heading that says who is logged in", got)
		}
		if got := eval[string](t, tb, `location.pathname`); got != "/" {
			t.Errorf("path = %q after the reset, want /", got)
		}
		// Following a link from the mail proved the address is the account's.
		if eval[bool](t, tb, `!document.getElementById("verify-banner").hidden`) {
			t.Error("the banner asks to verify an address the reset proved")
		}
	})

	tb.must("TheMailSaysThePasswordChanged", func(t *testing.T) {
		m := mp.WaitFor(t, email, mailTimeout)
		if strings.Contains(m.Text, "#token=") {
			t.Errorf("the notice carries a token:\n%s", m.Text)
		}
	})

	tb.must("LogOutAndInWithTheNewPassword", func(t *testing.T) {
		tb.tabTo(t, "logout-button")
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.tabTo(t, "login-credential")
		tb.do(t, chromedp.KeyEvent(email))
		tb.tabTo(t, "login-password")
		tb.do(t, chromedp.KeyEvent(newPass), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", email)
	})

	tb.must("TheLinkWorksOnce", func(t *testing.T) {
		tb.allow("/api/password-reset/confirm", 400)
		tb.do(t, chromedp.Navigate(resetLink), chromedp.WaitVisible(chromedp.ID("view-reset")))
		tb.fill(t, "reset-password", "yet-another-password\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-link-invalid")))
		if got := tb.focused(t); got != "invalid-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
	})

	tb.must("NoTokenInTheServerLog", func(t *testing.T) {
		token := resetLink[strings.Index(resetLink, "#token=")+len("#token="):]
		if strings.Contains(srv.log.String(), token) {
			t.Error("the server log holds the reset token")
		}
	})
}

// verifyAfterSignUp signs up, asks for the link again (which voids the first), and
// confirms the address with the newest link: the banner goes.
func verifyAfterSignUp(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv, mp := startMailServer(t, tg)
	const (
		username = "ada-lovelace"
		email    = "ada@example.com"
		pass     = "analytical-engine-1843"
	)
	var first, second string

	tb.must("SignUpShowsTheBanner", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "signup-username", username)
		tb.fill(t, "signup-email", email)
		tb.fill(t, "signup-password", pass)
		tb.do(t, chromedp.Click(chromedp.ID("signup-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.do(t, chromedp.WaitVisible(chromedp.ID("verify-banner")))
		if got := tb.text(t, "verify-banner-email"); got != email {
			t.Errorf("the banner names %q, want %q", got, email)
		}
		first = mailLink(t, mp.WaitFor(t, email, mailTimeout), srv.URL+"/verify-email#token=")
	})

	tb.must("SendTheLinkAgain", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("verify-resend")))
		wantMessage(t, tb, "verify-message", fmt.Sprintf("We've sent a new link to %s. Only the newest link works.", email))
		second = mailLink(t, mp.WaitFor(t, email, mailTimeout), srv.URL+"/verify-email#token=")
		if second == first {
			t.Fatal("the second mail carries the first link")
		}
	})

	tb.must("TheFirstLinkIsVoid", func(t *testing.T) {
		tb.allow("/api/email-verification/confirm", 400)
		tb.do(t, chromedp.Navigate(first), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-invalid")))
	})

	tb.must("TheNewestLinkConfirms", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(second), chromedp.WaitVisible(chromedp.ID("view-link")))
		if got := tb.text(t, "link-button"); got != "Confirm my email" {
			t.Errorf("button says %q", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		if got := tb.text(t, "done-heading"); got != "Your email address is confirmed" {
			t.Errorf("heading = %q", got)
		}
	})

	tb.must("TheBannerIsGone", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("done-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		if eval[bool](t, tb, `!document.getElementById("verify-banner").hidden`) {
			t.Error("the banner still asks to verify the address")
		}
	})
}

// changeEmailAndUndo changes the demo user's email through the link mailed to the new
// address, then puts it back through the link mailed to the old one.
func changeEmailAndUndo(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv, mp := startMailServer(t, tg)
	const (
		oldEmail = "demo@user.io"
		newEmail = "demolition@new.example"
		pass     = "password"
	)
	var confirm string

	tb.must("AskForTheChange", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.do(t, chromedp.Click(chromedp.ID("email-toggle")), chromedp.WaitVisible(chromedp.ID("email-form")))
		tb.allow("/api/users/me/email", 400)
		tb.fill(t, "email-new", newEmail)
		tb.fill(t, "email-password", "not-the-password")
		tb.do(t, chromedp.Click(chromedp.ID("email-button")))
		tb.waitFor(t, `document.getElementById("email-password").getAttribute("aria-invalid") === "true"`)
		if got := tb.focused(t); got != "email-password" {
			t.Errorf("focus is on %q, want the password field", got)
		}
		tb.fill(t, "email-password", pass)
		tb.do(t, chromedp.Click(chromedp.ID("email-button")))
		wantMessage(t, tb, "email-message", fmt.Sprintf(
			"We've sent a link to %s. Follow it to finish the change; until then your account keeps %s.", newEmail, oldEmail))
		if got := tb.text(t, "user-email"); got != oldEmail {
			t.Errorf("email shown = %q before the confirmation", got)
		}
	})

	tb.must("BothAddressesHearOfIt", func(t *testing.T) {
		confirm = mailLink(t, mp.WaitFor(t, newEmail, mailTimeout), srv.URL+"/confirm-email#token=")
		notice := mp.WaitFor(t, oldEmail, mailTimeout)
		if strings.Contains(notice.Text, "#token=") {
			t.Errorf("the notice to the old address carries a token before the change:\n%s", notice.Text)
		}
	})

	var undo string
	tb.must("ConfirmFromTheNewInbox", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(confirm), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		if got := tb.text(t, "done-text"); !strings.Contains(got, newEmail) {
			t.Errorf("the view says %q, want the new address", got)
		}
		// The change ends the account's other sessions, not this one.
		tb.do(t, chromedp.Click(chromedp.ID("done-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", newEmail)
		undo = mailLink(t, mp.WaitFor(t, oldEmail, mailTimeout), srv.URL+"/undo-email-change#token=")
	})

	tb.must("UndoFromTheOldInbox", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(undo), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		if got := tb.text(t, "done-text"); !strings.Contains(got, oldEmail) {
			t.Errorf("the view says %q, want the old address", got)
		}
		// An undo ends every session of the account, this one too: log in again.
		tb.do(t, chromedp.Click(chromedp.ID("done-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "login-credential", oldEmail)
		tb.fill(t, "login-password", pass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", oldEmail)
	})
}

// logInNeedsAConfirmedAddress runs with REQUIRE_VERIFIED_EMAIL: a sign-up waits for its
// link before it logs in; the seeded demo user's address is unconfirmed, so the right
// password is refused with a way to a new link, and after following it the log-in works.
func logInNeedsAConfirmedAddress(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	mp := mailpit.Start(t)
	srv := startServerWith(t, serverOptions{target: tg, mail: mp, requireVerified: true})

	tb.must("SignUpWaitsForTheLink", func(t *testing.T) {
		const (
			username = "ada-lovelace"
			email    = "ada@example.com"
			pass     = "analytical-engine-1843"
		)
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "signup-username", username)
		tb.fill(t, "signup-email", email)
		tb.fill(t, "signup-password", pass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		if got := tb.text(t, "forgot-sent-text"); !strings.Contains(got, "Your account is created") || !strings.Contains(got, email) {
			t.Errorf("the view says %q", got)
		}
		if got := tb.focused(t); got != "forgot-sent-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if eval[bool](t, tb, `!document.getElementById("header-user").hidden`) {
			t.Error("the header names a user, but nobody is logged in")
		}
		link := mailLink(t, mp.WaitFor(t, email, mailTimeout), srv.URL+"/verify-email#token=")
		tb.do(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		tb.do(t, chromedp.Click(chromedp.ID("done-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "login-credential", username)
		tb.fill(t, "login-password", pass+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, username, email)
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	const email = "demo@user.io"

	tb.must("TheRightPasswordIsRefused", func(t *testing.T) {
		tb.allow("/api/session", 403)
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "login-credential", email)
		tb.fill(t, "login-password", "password\r")
		wantMessage(t, tb, "login-message", auth.MsgEmailUnverified)
		if got := tb.focused(t); got != "verify-open" {
			t.Errorf("focus is on %q, want the button that sends a new link", got)
		}
	})

	var link string
	tb.must("AskForAConfirmationLink", func(t *testing.T) {
		tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")), chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		link = mailLink(t, mp.WaitFor(t, email, mailTimeout), srv.URL+"/verify-email#token=")
	})

	tb.must("ConfirmThenLogIn", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		tb.do(t, chromedp.Click(chromedp.ID("done-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "login-credential", email)
		tb.fill(t, "login-password", "password\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", email)
		if eval[bool](t, tb, `!document.getElementById("verify-banner").hidden`) {
			t.Error("the banner asks to verify a confirmed address")
		}
	})
}

// mailServerDownThenBack asks for a reset while the mail server is down: the page says
// the same as ever, and the mail arrives once the server is back.
func mailServerDownThenBack(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv, mp := startMailServer(t, tg)
	const email = "demo@user.io"

	tb.must("AskWhileMailIsDown", func(t *testing.T) {
		mp.Stop()
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.do(t, chromedp.Click(chromedp.ID("forgot-open")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		tb.fill(t, "forgot-email", email+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		// The sender has tried and failed, so the mail that arrives later is a retry.
		deadline := time.Now().Add(mailTimeout)
		for !strings.Contains(srv.log.String(), "outbox: mail not sent, will retry") {
			if time.Now().After(deadline) {
				t.Fatal("the sender never tried to send while Mailpit was down")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	tb.must("TheMailArrivesOnceItIsBack", func(t *testing.T) {
		mp.Start()
		link := mailLink(t, mp.WaitFor(t, email, mailTimeout), srv.URL+"/reset-password#token=")
		tb.do(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("view-reset")))
		tb.fill(t, "reset-password", "a-new-password-after-the-outage\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", email)
	})
}

// tabTo presses Tab until the element with id has focus, as a keyboard user does, and
// fails if it never does.
func (tb *tab) tabTo(t *testing.T, id string) {
	t.Helper()
	for range 40 {
		if tb.focused(t) == id {
			return
		}
		tb.do(t, chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("Tab never reached #%s", id)
}

var mailURL = regexp.MustCompile(`https?://[^\s<>"]+`)

// mailLink returns the link in m's text part that starts with prefix, and checks the
// HTML part carries the same link.
func mailLink(t *testing.T, m mailpit.Message, prefix string) string {
	t.Helper()
	for _, u := range mailURL.FindAllString(m.Text, -1) {
		if strings.HasPrefix(u, prefix) && len(u) > len(prefix) {
			if !strings.Contains(m.HTML, u) {
				t.Errorf("the HTML part lacks the link %s", u)
			}
			return u
		}
	}
	t.Fatalf("no link starting %s in the mail %q to %v:\n%s", prefix, m.Subject, m.To, m.Text)
	return ""
}
