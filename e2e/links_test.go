package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"authme/internal/auth"
)

// The page's side of the mail flows, with the API's answers made up by faults: what a
// person sees for each answer, where focus goes, and that a link's token leaves the
// address bar at once. The flows through the real API and a real mail server are in
// mailflows_test.go.
func TestMailPages(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)
	f := srv.faults
	const sent = `{"message":"If an account uses that address, a link is on its way."}`
	badToken := fault{status: http.StatusBadRequest,
		body: `{"message":"Bad request","errors":{"token":"This link is invalid or has expired"}}`}

	tb.must("ForgotPasswordKeepsTheTypedEmail", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.fill(t, "login-credential", "ada@example.com")
		tb.do(t, chromedp.Click(chromedp.ID("forgot-open")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		if got := tb.focused(t); got != "forgot-heading" {
			t.Errorf("focus is on %q, want the heading of the view", got)
		}
		if got := eval[string](t, tb, `document.getElementById("forgot-email").value`); got != "ada@example.com" {
			t.Errorf("email field = %q, want the address typed to log in", got)
		}
	})

	tb.must("MailOffOnTheRealServerSaysSo", func(t *testing.T) {
		// startServer sends no mail, as production without SMTP_URL.
		tb.allow("/api/password-reset", 503)
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")))
		wantMessage(t, tb, "forgot-message", auth.MsgMailOff)
	})

	tb.must("MailOffShowsTheServersMessage", func(t *testing.T) {
		tb.allow("/api/password-reset", 503)
		f.set("POST /api/password-reset", fault{status: http.StatusServiceUnavailable,
			body: `{"message":"Mail is not set up on this server, so it cannot send links"}`})
		defer f.clear("POST /api/password-reset")
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")))
		wantMessage(t, tb, "forgot-message", "Mail is not set up on this server, so it cannot send links.")
		if got := tb.focused(t); got != "forgot-button" {
			t.Errorf("focus is on %q, want the button, to try again", got)
		}
	})

	tb.must("ThrottledShowsTheMessageAndTheWait", func(t *testing.T) {
		tb.allow("/api/password-reset", 429)
		f.set("POST /api/password-reset", fault{status: http.StatusTooManyRequests,
			header: http.Header{"Retry-After": {"120"}}, body: `{"message":"Too many reset requests for this address"}`})
		defer f.clear("POST /api/password-reset")
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")))
		tb.waitFor(t, `document.getElementById("forgot-message").innerText.includes("2 minutes")`)
		wantMessage(t, tb, "forgot-message", "Too many reset requests for this address. Try again in 2 minutes.")
	})

	tb.must("ThrottledWithTheGenericMessageSaysTheWaitOnce", func(t *testing.T) {
		tb.allow("/api/password-reset", 429)
		f.set("POST /api/password-reset", fault{status: http.StatusTooManyRequests,
			header: http.Header{"Retry-After": {"30"}}, body: `{"message":"` + auth.MsgTooMany + `"}`})
		defer f.clear("POST /api/password-reset")
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")))
		tb.waitFor(t, `document.getElementById("forgot-message").innerText.includes("30 seconds")`)
		wantMessage(t, tb, "forgot-message", "Too many attempts. Try again in 30 seconds.")
	})

	tb.must("SentSaysTheSameWhateverTheAddress", func(t *testing.T) {
		f.set("POST /api/password-reset", fault{status: http.StatusAccepted, body: sent})
		defer f.clear("POST /api/password-reset")
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")), chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		if got := tb.focused(t); got != "forgot-sent-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if got := tb.text(t, "forgot-sent-text"); !strings.Contains(got, "If an account uses ada@example.com") {
			t.Errorf("the view says %q", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("forgot-sent-back")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if got := tb.focused(t); got != "login-heading" {
			t.Errorf("focus is on %q, want the log-in heading", got)
		}
	})

	tb.must("ResetLinkTakesTheTokenOutOfTheAddressBar", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/reset-password#token=secret-token-from-the-mail"),
			chromedp.WaitVisible(chromedp.ID("view-reset")))
		if got := eval[string](t, tb, `location.href`); got != srv.URL+"/reset-password" {
			t.Errorf("address bar = %q, want no fragment", got)
		}
		if got := tb.focused(t); got != "reset-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if got := tb.text(t, "reset-password-hint"); got != "At least 8 characters." {
			t.Errorf("password hint = %q, want the sign-up form's", got)
		}
	})

	tb.must("ResetSendsTheTokenFromMemory", func(t *testing.T) {
		tb.allow("/api/password-reset/confirm", 400)
		f.set("POST /api/password-reset/confirm", fault{status: http.StatusBadRequest,
			body: `{"message":"Bad request","errors":{"password":"Password must be 8 to 256 characters"}}`})
		defer f.clear("POST /api/password-reset/confirm")
		tb.fill(t, "reset-password", "short")
		tb.do(t, chromedp.Click(chromedp.ID("reset-button")))
		tb.waitFor(t, `document.getElementById("reset-password").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "reset-password", "8 to 256 characters")
		if got := tb.focused(t); got != "reset-password" {
			t.Errorf("focus is on %q, want the password field", got)
		}
	})

	tb.must("UsedResetLinkOffersANewOne", func(t *testing.T) {
		tb.allow("/api/password-reset/confirm", 400)
		f.set("POST /api/password-reset/confirm", badToken)
		defer f.clear("POST /api/password-reset/confirm")
		tb.fill(t, "reset-password", "a-good-long-password")
		tb.do(t, chromedp.Click(chromedp.ID("reset-button")), chromedp.WaitVisible(chromedp.ID("view-link-invalid")))
		if got := tb.focused(t); got != "invalid-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if got := tb.text(t, "invalid-button"); got != "Ask for a new link" {
			t.Errorf("the way on says %q", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("invalid-button")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		if got := eval[string](t, tb, `location.pathname`); got != "/" {
			t.Errorf("path = %q after leaving the link's page, want /", got)
		}
	})

	tb.must("LinkWithoutATokenSaysItDoesNotWork", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/confirm-email"), chromedp.WaitVisible(chromedp.ID("view-link-invalid")))
		if got := tb.text(t, "invalid-text"); !strings.Contains(got, "change your email again") {
			t.Errorf("the view says %q", got)
		}
	})

	tb.must("VerifyLinkWaitsForTheButton", func(t *testing.T) {
		before := f.count("POST /api/email-verification/confirm")
		tb.do(t, chromedp.Navigate(srv.URL+"/verify-email#token=verify-token"), chromedp.WaitVisible(chromedp.ID("view-link")))
		if got := eval[string](t, tb, `location.href`); got != srv.URL+"/verify-email" {
			t.Errorf("address bar = %q, want no fragment", got)
		}
		if got := tb.text(t, "link-button"); got != "Confirm my email" {
			t.Errorf("button says %q", got)
		}
		if n := f.count("POST /api/email-verification/confirm") - before; n != 0 {
			t.Errorf("opening the link sent %d confirmations; only the button should", n)
		}
		f.set("POST /api/email-verification/confirm", fault{status: http.StatusOK,
			body: `{"message":"Email address verified","emailVerifiedAt":"2026-12-02T03:00:00Z"}`})
		defer f.clear("POST /api/email-verification/confirm")
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		if got := tb.text(t, "done-heading"); got != "Your email address is confirmed" {
			t.Errorf("heading = %q", got)
		}
		if got := tb.focused(t); got != "done-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("done-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if got := eval[string](t, tb, `location.pathname`); got != "/" {
			t.Errorf("path = %q, want /", got)
		}
	})

	tb.must("ConfirmFailureCanBeRetried", func(t *testing.T) {
		tb.allow("/api/email-change/confirm", 0)
		f.set("POST /api/email-change/confirm", fault{drop: true})
		tb.do(t, chromedp.Navigate(srv.URL+"/confirm-email#token=t"), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")))
		wantMessage(t, tb, "link-message", "We couldn't reach authme. Check your connection, then try again.")
		f.set("POST /api/email-change/confirm", fault{status: http.StatusOK,
			body: `{"message":"Email changed","email":"ada@new.example"}`})
		defer f.clear("POST /api/email-change/confirm")
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		if got := tb.text(t, "done-text"); !strings.Contains(got, "ada@new.example") {
			t.Errorf("the view says %q, want the new address", got)
		}
	})

	tb.must("UndoOffersANewPassword", func(t *testing.T) {
		f.set("POST /api/email-change/undo", fault{status: http.StatusOK,
			body: `{"message":"Email change undone","email":"ada@example.com"}`})
		defer f.clear("POST /api/email-change/undo")
		tb.do(t, chromedp.Navigate(srv.URL+"/undo-email-change#token=t"), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-done")))
		tb.do(t, chromedp.Click(chromedp.ID("done-reset")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		if got := eval[string](t, tb, `document.getElementById("forgot-email").value`); got != "ada@example.com" {
			t.Errorf("email field = %q, want the address put back", got)
		}
	})

	tb.must("UsedVerifyLinkSaysSo", func(t *testing.T) {
		tb.allow("/api/email-verification/confirm", 400)
		f.set("POST /api/email-verification/confirm", badToken)
		defer f.clear("POST /api/email-verification/confirm")
		tb.do(t, chromedp.Navigate(srv.URL+"/verify-email#token=old"), chromedp.WaitVisible(chromedp.ID("view-link")))
		tb.do(t, chromedp.Click(chromedp.ID("link-button")), chromedp.WaitVisible(chromedp.ID("view-link-invalid")))
		tb.do(t, chromedp.Click(chromedp.ID("invalid-button")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		if got := tb.text(t, "forgot-heading"); got != "Confirm your email address" {
			t.Errorf("heading = %q, want the form that asks for a confirmation link", got)
		}
	})

	tb.must("DisabledAccountSaysSoAndOffersNoLink", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.allow("/api/session", 403)
		f.set("POST /api/session", fault{status: http.StatusForbidden, body: `{"message":"` + auth.MsgAccountDisabled + `"}`})
		defer f.clear("POST /api/session")
		tb.fill(t, "login-credential", "ada@example.com")
		tb.fill(t, "login-password", "analytical-engine-1843\r")
		wantMessage(t, tb, "login-message", auth.MsgAccountDisabled)
		if eval[bool](t, tb, `!document.getElementById("verify-open").hidden`) {
			t.Error("a disabled account is offered a confirmation link")
		}
	})

	tb.must("UnconfirmedLogInOffersANewLink", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		if eval[bool](t, tb, `!document.getElementById("verify-open").hidden`) {
			t.Error("the log-in card offers a confirmation link before any log-in")
		}
		tb.allow("/api/session", 403)
		f.set("POST /api/session", fault{status: http.StatusForbidden,
			body: `{"message":"` + auth.MsgEmailUnverified + `"}`})
		defer f.clear("POST /api/session")
		tb.fill(t, "login-credential", "ada@example.com")
		tb.fill(t, "login-password", "analytical-engine-1843\r")
		wantMessage(t, tb, "login-message", auth.MsgEmailUnverified)
		if got := tb.focused(t); got != "verify-open" {
			t.Errorf("focus is on %q, want the button that sends a new link", got)
		}
		f.set("POST /api/email-verification", fault{status: http.StatusAccepted, body: sent})
		defer f.clear("POST /api/email-verification")
		tb.do(t, chromedp.Click(chromedp.ID("verify-open")), chromedp.WaitVisible(chromedp.ID("view-forgot")))
		if got := eval[string](t, tb, `document.getElementById("forgot-email").value`); got != "ada@example.com" {
			t.Errorf("email field = %q, want the address typed to log in", got)
		}
		before := f.count("POST /api/email-verification")
		tb.do(t, chromedp.Click(chromedp.ID("forgot-button")), chromedp.WaitVisible(chromedp.ID("view-forgot-sent")))
		if n := f.count("POST /api/email-verification") - before; n != 1 {
			t.Errorf("%d requests for a verification link, want 1", n)
		}
		if got := tb.text(t, "forgot-sent-text"); !strings.Contains(got, "a new link to confirm it") {
			t.Errorf("the view says %q", got)
		}
	})

	const unverified = `{"user":{"id":7,"username":"ada-lovelace","email":"ada@example.com"},"emailVerifiedAt":null}`

	tb.must("UnverifiedAddressShowsTheBanner", func(t *testing.T) {
		f.set("GET /api/session", fault{status: http.StatusOK, body: unverified})
		defer f.clear("GET /api/session")
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.do(t, chromedp.WaitVisible(chromedp.ID("verify-banner")))
		if got := tb.text(t, "verify-banner-title"); got != "Verify your email address" {
			t.Errorf("banner title = %q", got)
		}
		f.set("POST /api/email-verification", fault{status: http.StatusAccepted, body: sent})
		defer f.clear("POST /api/email-verification")
		tb.do(t, chromedp.Click(chromedp.ID("verify-resend")))
		wantMessage(t, tb, "verify-message", "We've sent a new link to ada@example.com. Only the newest link works.")
	})

	tb.must("ResendWhenMailIsOffSaysSo", func(t *testing.T) {
		tb.allow("/api/email-verification", 503)
		f.set("POST /api/email-verification", fault{status: http.StatusServiceUnavailable,
			body: `{"message":"Mail is not set up on this server"}`})
		defer f.clear("POST /api/email-verification")
		tb.do(t, chromedp.Click(chromedp.ID("verify-resend")))
		tb.waitFor(t, `document.getElementById("verify-message").innerText.includes("Mail")`)
		wantMessage(t, tb, "verify-message", "Mail is not set up on this server.")
	})

	tb.must("ChangeEmailSaysWhereTheLinkWent", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("email-toggle")), chromedp.WaitVisible(chromedp.ID("email-form")))
		if got := eval[string](t, tb, `document.getElementById("email-toggle").getAttribute("aria-expanded")`); got != "true" {
			t.Errorf("aria-expanded = %q, want true", got)
		}
		if got := tb.focused(t); got != "email-new" {
			t.Errorf("focus is on %q, want the new email field", got)
		}
		tb.allow("/api/users/me/email", 400)
		f.set("PUT /api/users/me/email", fault{status: http.StatusBadRequest,
			body: `{"message":"Bad request","errors":{"password":"Password is incorrect"}}`})
		tb.fill(t, "email-new", "ada@new.example")
		tb.fill(t, "email-password", "wrong")
		tb.do(t, chromedp.Click(chromedp.ID("email-button")))
		tb.waitFor(t, `document.getElementById("email-password").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "email-password", "Password is incorrect")
		f.set("PUT /api/users/me/email", fault{status: http.StatusAccepted, body: `{"message":"Check your new inbox"}`})
		defer f.clear("PUT /api/users/me/email")
		tb.fill(t, "email-password", "right")
		tb.do(t, chromedp.Click(chromedp.ID("email-button")))
		wantMessage(t, tb, "email-message",
			"We've sent a link to ada@new.example. Follow it to finish the change; until then your account keeps ada@example.com.")
		if got := tb.text(t, "user-email"); got != "ada@example.com" {
			t.Errorf("email shown = %q: it changes only on confirmation", got)
		}
	})

	tb.must("VerifiedAddressHasNoBanner", func(t *testing.T) {
		f.set("GET /api/session", fault{status: http.StatusOK,
			body: strings.Replace(unverified, "null", `"2026-12-02T03:00:00Z"`, 1)})
		defer f.clear("GET /api/session")
		tb.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-user")))
		if eval[bool](t, tb, `!document.getElementById("verify-banner").hidden`) {
			t.Error("the banner shows for a verified address")
		}
	})

	tb.must("PhoneFitsTheLinkPages", func(t *testing.T) {
		tb.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
		for _, path := range []string{"/reset-password#token=t", "/verify-email#token=t"} {
			tb.do(t, chromedp.Navigate(srv.URL+path), chromedp.WaitReady(chromedp.ID("main")))
			tb.waitFor(t, `document.getElementById("view-loading").hidden`)
			fitsPhone(t, tb)
		}
	})
}
