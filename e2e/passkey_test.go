package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// Passkeys end to end, on both databases, with Chromium's virtual authenticator (a
// platform authenticator that keeps discoverable credentials and verifies its user
// without anyone there): the page adds a passkey, logs in with it without a username,
// shows when it was last used and removes it; a ceremony begun on one instance finishes
// on another; replayed answers, expired challenges and answers for another origin are
// refused; an account with two-factor authentication asks for the code unless the
// authenticator verified its user; an old session needs the password to change passkeys;
// and the username field's autofill waits for a passkey.
func TestPasskeys(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Run("AddLogInRemove", func(t *testing.T) { passkeyFlow(t, tg) })
			t.Run("CeremoniesAcrossInstances", func(t *testing.T) { passkeyInstances(t, tg) })
			t.Run("TwoFactorAccount", func(t *testing.T) { passkeySecondFactor(t, tg) })
			t.Run("OldSessionNeedsThePassword", func(t *testing.T) { passkeyReauth(t, tg) })
			t.Run("WhatThePageSaysWhenItFails", func(t *testing.T) { passkeyFailures(t, tg) })
		})
	}
}

// verifyingAuthenticator is a passkey on the device itself (Touch ID, Windows Hello):
// discoverable credentials, and it verifies its user.
var verifyingAuthenticator = webauthn.VirtualAuthenticatorOptions{
	Protocol:                    webauthn.AuthenticatorProtocolCtap2,
	Ctap2version:                webauthn.Ctap2versionCtap21,
	Transport:                   webauthn.AuthenticatorTransportInternal,
	HasResidentKey:              true,
	HasUserVerification:         true,
	IsUserVerified:              true,
	AutomaticPresenceSimulation: true,
}

// addAuthenticator gives the tab a virtual authenticator, which answers every WebAuthn
// request of its pages from now on.
func (tb *tab) addAuthenticator(t *testing.T, o webauthn.VirtualAuthenticatorOptions) webauthn.AuthenticatorID {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &o})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// credentials returns what the virtual authenticator holds.
func (tb *tab) credentials(t *testing.T, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatalf("WebAuthn.getCredentials: %v", err)
	}
	return res.Credentials
}

// logInAsDemo opens the page at url and logs in as the demo user with its password.
func logInAsDemo(t *testing.T, tb *tab, url string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
	tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
}

// openPasskeys opens the account's Passkeys section and waits for its list to load.
func openPasskeys(t *testing.T, tb *tab) {
	t.Helper()
	tb.do(t, chromedp.Click(chromedp.ID("passkeys-toggle")), chromedp.WaitVisible(chromedp.ID("passkeys-form")))
	tb.waitFor(t, `!document.getElementById("passkeys-list").hasAttribute("aria-busy") &&
		!document.getElementById("passkeys-message").innerText.includes("Loading")`)
}

// addPasskeyOnPage names a passkey and adds it, and waits for the list to show it.
func addPasskeyOnPage(t *testing.T, tb *tab, name string) {
	t.Helper()
	tb.fill(t, "passkeys-name", name)
	tb.do(t, chromedp.Click(chromedp.ID("passkeys-add")))
	tb.waitFor(t, fmt.Sprintf(`Array.from(document.querySelectorAll("#passkeys-list .item-title")).some((e) => e.textContent === %q)`, name))
}

// passkeyItems returns the list's passkeys as their id and what the item says.
func passkeyItems(t *testing.T, tb *tab) map[string]string {
	t.Helper()
	return eval[map[string]string](t, tb, `Object.fromEntries(Array.from(document.querySelectorAll("#passkeys-list .item"))
		.map((li) => [li.dataset.passkey, li.innerText.replace(/\s+/g, " ").trim()]))`)
}

// presence turns the virtual authenticator's simulated touch on or off: off, its
// requests wait, as for a person who has not touched or picked anything yet.
func (tb *tab) presence(t *testing.T, id webauthn.AuthenticatorID, on bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.SetAutomaticPresenceSimulation,
		webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: id, Enabled: on}); err != nil {
		t.Fatalf("WebAuthn.setAutomaticPresenceSimulation: %v", err)
	}
}

func passkeyFlow(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv := startServerWith(t, serverOptions{target: tg})
	authID := tb.addAuthenticator(t, verifyingAuthenticator)
	var id string

	tb.must("AddAPasskey", func(t *testing.T) {
		logInAsDemo(t, tb, srv.PasskeyURL)
		openPasskeys(t, tb)
		if got := tb.text(t, "passkeys-message"); got != "You have no passkeys yet." {
			t.Errorf("the section says %q before any passkey", got)
		}
		// No name: the page asks for one before the browser is asked anything.
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-add")))
		tb.waitFor(t, `document.getElementById("passkeys-name").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "passkeys-name", "Name the passkey")
		if n := srv.faults.count("POST /api/users/me/passkeys/begin"); n != 0 {
			t.Errorf("%d begin requests without a name", n)
		}
		addPasskeyOnPage(t, tb, "Laptop")
		items := passkeyItems(t, tb)
		if len(items) != 1 {
			t.Fatalf("the list shows %v, want one passkey", items)
		}
		for k, v := range items {
			id = k
			if !strings.Contains(v, "Laptop") || !strings.Contains(v, "Added") || !strings.Contains(v, "Never used") {
				t.Errorf("the passkey reads %q", v)
			}
		}
		if got := tb.text(t, "passkeys-message"); !strings.Contains(got, "The passkey Laptop is added") {
			t.Errorf("the section says %q", got)
		}
		if got := tb.focused(t); got != "passkeys-toggle" {
			t.Errorf("focus is on %q, want the section's heading button", got)
		}
		creds := tb.credentials(t, authID)
		if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
			t.Fatalf("the authenticator holds %+v, want one discoverable credential for localhost", creds)
		}
		// What the page sent: the name, and the authenticator's answer as JSON.
		var sent struct {
			Name       string
			Credential struct{ ID, Type string }
		}
		if err := json.Unmarshal(srv.faults.lastBody("POST /api/users/me/passkeys/finish"), &sent); err != nil {
			t.Fatal(err)
		}
		if sent.Name != "Laptop" || sent.Credential.Type != "public-key" || sent.Credential.ID == "" {
			t.Errorf("the page sent %+v", sent)
		}
		// A second passkey on the same authenticator: the browser refuses (the server
		// listed the first in excludeCredentials), and the page says why.
		tb.fill(t, "passkeys-name", "Again")
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-add")))
		wantMessage(t, tb, "passkeys-form-message", "This device or password manager has a passkey for your account already.")
		if n := len(passkeyItems(t, tb)); n != 1 {
			t.Errorf("%d passkeys listed", n)
		}
	})

	tb.must("TheUsernameFieldsAutofillLogsIn", func(t *testing.T) {
		if got := eval[string](t, tb, `document.getElementById("login-credential").autocomplete`); got != "username webauthn" {
			t.Errorf("the username field's autocomplete is %q", got)
		}
		finished := srv.faults.count("POST /api/session/passkey/finish")
		// Nothing is clicked or typed: the log-in form's conditional request is answered
		// by the virtual authenticator, which picks its one passkey as a person picks it
		// from the username field's autofill.
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.waitFor(t, `document.getElementById("header-user-name").textContent === "Demo-lition"`)
		wantUser(t, tb, "Demo-lition", "demo@user.io")
		if n := srv.faults.count("POST /api/session/passkey/finish") - finished; n != 1 {
			t.Errorf("%d passkey log-ins, want 1", n)
		}
		if n := srv.faults.count("DELETE /api/session"); n != 1 {
			t.Errorf("%d log-outs, want 1", n)
		}
	})

	tb.must("TheButtonLogsInWithNoUsername", func(t *testing.T) {
		// Without presence the autofill's request waits, as it does for a person who
		// has not picked anything yet; the button's request, begun after presence is
		// back, is the one answered.
		tb.presence(t, authID, false)
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.waitFor(t, `document.getElementById("login-form").dataset.passkeyAutofill === "waiting"`)
		tb.presence(t, authID, true)
		begun := srv.faults.count("POST /api/session/passkey/begin")
		if got := eval[string](t, tb, `document.getElementById("login-credential").value`); got != "" {
			t.Fatalf("the username field holds %q", got)
		}
		tb.do(t, chromedp.Click(chromedp.ID("passkey-login")), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", "demo@user.io")
		if got := tb.focused(t); got != "user-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		// The button began a ceremony of its own: the autofill's challenge was dropped.
		if n := srv.faults.count("POST /api/session/passkey/begin") - begun; n != 1 {
			t.Errorf("the button asked for %d challenges, want 1", n)
		}
	})

	tb.must("TheListSaysWhenItWasLastUsed", func(t *testing.T) {
		openPasskeys(t, tb)
		if got := passkeyItems(t, tb)[id]; !strings.Contains(got, "Last used just now") {
			t.Errorf("the passkey reads %q, want it last used just now", got)
		}
	})

	tb.must("RemoveItAfterAConfirmation", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("passkey-remove-"+id)), chromedp.WaitVisible(chromedp.ID("passkeys-confirm")))
		if got := tb.focused(t); got != "passkeys-confirm-text" {
			t.Errorf("focus is on %q, want the question", got)
		}
		if got := tb.text(t, "passkeys-confirm-name"); got != "Laptop" {
			t.Errorf("the question names %q", got)
		}
		// Cancel keeps it.
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-remove-cancel")))
		tb.waitFor(t, `document.getElementById("passkeys-confirm").hidden`)
		if got := tb.focused(t); got != "passkey-remove-"+id {
			t.Errorf("focus is on %q after Cancel, want the passkey's Remove button", got)
		}
		if n := srv.faults.count("DELETE /api/users/me/passkeys/" + id); n != 0 {
			t.Fatalf("Cancel sent %d removals", n)
		}
		tb.do(t, chromedp.Click(chromedp.ID("passkey-remove-"+id)), chromedp.WaitVisible(chromedp.ID("passkeys-confirm")))
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-remove-yes")))
		wantMessage(t, tb, "passkeys-message", "The passkey Laptop is removed. You have no passkeys now.")
		if items := passkeyItems(t, tb); len(items) != 0 {
			t.Errorf("the list still shows %v", items)
		}
	})

	tb.must("TheRemovedPasskeyNoLongerLogsIn", func(t *testing.T) {
		// The authenticator still holds it: only the server forgot it.
		if n := len(tb.credentials(t, authID)); n != 1 {
			t.Fatalf("the authenticator holds %d credentials", n)
		}
		tb.allow("/api/session/passkey/finish", http.StatusUnauthorized)
		// The autofill offers it, and the server refuses it.
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
		wantMessage(t, tb, "login-message", auth.MsgPasskeyRefused)
		// So does the button.
		refused := srv.faults.count("POST /api/session/passkey/finish")
		eval[chromedp.Void](t, tb, `document.getElementById("login-message").replaceChildren()`)
		tb.do(t, chromedp.Click(chromedp.ID("passkey-login")))
		wantMessage(t, tb, "login-message", auth.MsgPasskeyRefused)
		if n := srv.faults.count("POST /api/session/passkey/finish") - refused; n < 1 {
			t.Errorf("the button sent %d answers", n)
		}
		if !eval[bool](t, tb, `!document.getElementById("view-guest").hidden`) {
			t.Error("the log-in form is gone")
		}
	})
}

// pageAnswer has the page's virtual authenticator answer a log-in challenge begun on
// base (an instance whose origin the page is on), through the page's own fetch and
// navigator.credentials.get, and returns the answer as JSON.
func pageAnswer(t *testing.T, tb *tab) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	answer, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const token = decodeURIComponent((document.cookie.match(/(?:^|; )XSRF-TOKEN=([^;]*)/) || [])[1] || "");
		const res = await fetch("/api/session/passkey/begin", {method: "POST", credentials: "same-origin",
			headers: {"Content-Type": "application/json", "XSRF-Token": token}, body: "{}"});
		if (res.status !== 200) throw new Error("begin: " + res.status);
		const {publicKey} = await res.json();
		const cred = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey)});
		return JSON.stringify(cred.toJSON());
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the page's answer: %v", err)
	}
	return json.RawMessage(answer)
}

// challengeHash returns the stored name of the challenge an answer signed: the SHA-256,
// in hex, of the challenge its client data carries.
func challengeHash(t *testing.T, answer json.RawMessage) string {
	t.Helper()
	var cred struct {
		Response struct{ ClientDataJSON string }
	}
	if err := json.Unmarshal(answer, &cred); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(cred.Response.ClientDataJSON, "="))
	if err != nil {
		t.Fatal(err)
	}
	var client struct{ Challenge string }
	if err := json.Unmarshal(raw, &client); err != nil || client.Challenge == "" {
		t.Fatalf("client data %s: %v", raw, err)
	}
	sum := sha256.Sum256([]byte(client.Challenge))
	return hex.EncodeToString(sum[:])
}

// apiError is the API's error body.
type apiError struct {
	Message string
	Errors  map[string]string
}

func decodeError(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e
}

func passkeyInstances(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	a := startServerWith(t, serverOptions{target: tg})
	// B is a second instance of the same deployment: the same database and the same
	// origin (the page is on A's address; behind a load balancer both would share one).
	b := startServerWith(t, serverOptions{target: tg, db: a.db, passkeyOrigins: []string{a.PasskeyURL}})
	// C is configured for another origin: answers made on A's page are not for it.
	c := startServerWith(t, serverOptions{target: tg, db: a.db, passkeyOrigins: []string{"http://localhost:1"}})
	tb.addAuthenticator(t, verifyingAuthenticator)
	var answer json.RawMessage

	tb.must("AddAPasskeyOnA", func(t *testing.T) {
		logInAsDemo(t, tb, a.PasskeyURL)
		openPasskeys(t, tb)
		addPasskeyOnPage(t, tb, "Phone")
	})

	tb.must("BeginOnAFinishOnB", func(t *testing.T) {
		answer = pageAnswer(t, tb)
		status, body := newAPIClient(t, b.URL).exchange(t, "POST", "/api/session/passkey/finish", map[string]any{"credential": answer})
		if status != http.StatusOK {
			t.Fatalf("finish on B: %d %s", status, body)
		}
		var got struct{ User struct{ Username string } }
		if err := json.Unmarshal(body, &got); err != nil || got.User.Username != "Demo-lition" {
			t.Errorf("B logged in %s (%v)", body, err)
		}
	})

	tb.step("AReplayedAnswerIsRefused", func(t *testing.T) {
		for _, srv := range []*server{a, b} {
			status, body := newAPIClient(t, srv.URL).exchange(t, "POST", "/api/session/passkey/finish", map[string]any{"credential": answer})
			if e := decodeError(t, body); status != http.StatusBadRequest || e.Errors["credential"] != auth.MsgPasskeyChallenge {
				t.Errorf("the same answer again: %d %s, want 400 errors.credential %q", status, body, auth.MsgPasskeyChallenge)
			}
		}
	})

	tb.step("AnExpiredChallengeIsRefused", func(t *testing.T) {
		answer := pageAnswer(t, tb)
		// Its row's time runs out: the database holds the SHA-256 of the challenge.
		res, err := a.db.SQL().ExecContext(context.Background(),
			`UPDATE "WebAuthnChallenges" SET "expiresAt" = $1 WHERE "hash" = $2`, time.Now().Add(-time.Second).Unix(), challengeHash(t, answer))
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%d challenges match the answer's, want 1", n)
		}
		status, body := newAPIClient(t, b.URL).exchange(t, "POST", "/api/session/passkey/finish", map[string]any{"credential": answer})
		if e := decodeError(t, body); status != http.StatusBadRequest || e.Errors["credential"] != auth.MsgPasskeyChallenge {
			t.Errorf("an expired challenge: %d %s, want 400 errors.credential %q", status, body, auth.MsgPasskeyChallenge)
		}
	})

	tb.step("AnAnswerForAnotherOriginIsRefused", func(t *testing.T) {
		answer := pageAnswer(t, tb)
		status, body := newAPIClient(t, c.URL).exchange(t, "POST", "/api/session/passkey/finish", map[string]any{"credential": answer})
		if e := decodeError(t, body); status != http.StatusUnauthorized || e.Errors["credential"] != auth.MsgPasskeyRefused {
			t.Errorf("an answer made on another origin: %d %s, want 401 errors.credential %q", status, body, auth.MsgPasskeyRefused)
		}
	})

	tb.step("APageOnAnIPAddressCannotUsePasskeys", func(t *testing.T) {
		// 127.0.0.1: the browser refuses WebAuthn for an IP address, and the page says why.
		tb.do(t, chromedp.Navigate(a.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.do(t, chromedp.Click(chromedp.ID("passkey-login")))
		wantMessage(t, tb, "login-message", "Passkeys don't work on this page's address: it needs a domain name, not an IP address.")
	})
}

func passkeySecondFactor(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv := startServerWith(t, serverOptions{target: tg})
	authID := tb.addAuthenticator(t, verifyingAuthenticator)
	var app *authenticator

	tb.must("AddAPasskeyThenTurnOnTwoFactor", func(t *testing.T) {
		logInAsDemo(t, tb, srv.PasskeyURL)
		openPasskeys(t, tb)
		addPasskeyOnPage(t, tb, "Laptop")
		// Two-factor authentication goes on from another device, through the API.
		api := newAPIClient(t, srv.URL)
		if status := api.send(t, "POST", "/api/session", map[string]string{"credential": "Demo-lition", "password": "password"}); status != http.StatusOK {
			t.Fatalf("API log-in: %d", status)
		}
		status, body := api.exchange(t, "POST", "/api/users/me/totp", map[string]string{"password": "password"})
		if status != http.StatusOK {
			t.Fatalf("begin TOTP: %d %s", status, body)
		}
		var key struct{ Secret string }
		if err := json.Unmarshal(body, &key); err != nil || key.Secret == "" {
			t.Fatalf("begin TOTP answered %s (%v)", body, err)
		}
		app = &authenticator{secret: key.Secret, last: -1}
		if status, body := api.exchange(t, "POST", "/api/users/me/totp/confirm", map[string]string{"code": app.code(t)}); status != http.StatusOK {
			t.Fatalf("confirm TOTP: %d %s", status, body)
		}
	})

	tb.must("AVerifyingAuthenticatorLogsStraightIn", func(t *testing.T) {
		// Turning two-factor on ended this session: the page shows the log-in form, whose
		// autofill the virtual authenticator answers at once.
		tb.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", "demo@user.io")
		if n := srv.faults.count("POST /api/session/second-factor"); n != 0 {
			t.Errorf("%d codes asked for", n)
		}
	})

	tb.must("WithoutUserVerificationTheCodeIsAsked", func(t *testing.T) {
		// The authenticator's answers now say it did not verify its user (no PIN, no
		// finger): a passkey then counts as something you have, like a password counts as
		// something you know, and the code is still asked.
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		defer cancel()
		badUV := true
		if _, err := chromedp.Call(ctx, webauthn.SetResponseOverrideBits,
			webauthn.SetResponseOverrideBitsParams{AuthenticatorID: authID, IsBadUV: &badUV}); err != nil {
			t.Fatal(err)
		}
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-second-factor")))
		if got := tb.focused(t); got != "second-factor-heading" {
			t.Errorf("focus is on %q, want the heading", got)
		}
		if got := tb.text(t, "second-factor-hint"); !strings.HasPrefix(got, "Your passkey is right.") {
			t.Errorf("the view says %q", got)
		}
		tb.fill(t, "second-factor-code", app.code(t)+"\r")
		tb.do(t, chromedp.WaitVisible(chromedp.ID("view-user")))
		wantUser(t, tb, "Demo-lition", "demo@user.io")
	})

	tb.must("AnOldSessionAsksForThePasswordAndTheCode", func(t *testing.T) {
		if _, err := srv.db.SQL().ExecContext(context.Background(),
			`UPDATE "Sessions" SET "createdAt" = "createdAt" - 600`); err != nil {
			t.Fatal(err)
		}
		tb.allow("/api/users/me/passkeys/begin", http.StatusBadRequest)
		// A new passkey on a fresh authenticator: this one holds the account's passkey
		// already, and the browser would refuse to make a second.
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		defer cancel()
		if _, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: authID}); err != nil {
			t.Fatal(err)
		}
		openPasskeys(t, tb)
		tb.fill(t, "passkeys-name", "Phone")
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-add")), chromedp.WaitVisible(chromedp.ID("passkeys-password")))
		tb.fill(t, "passkeys-password", "password\r")
		// The password is right; two-factor authentication is on, so the code is asked too.
		tb.do(t, chromedp.WaitVisible(chromedp.ID("passkeys-code")))
		tb.waitFor(t, `document.getElementById("passkeys-code").getAttribute("aria-invalid") === "true"`)
		if got := tb.focused(t); got != "passkeys-code" {
			t.Errorf("focus is on %q, want the code", got)
		}
		if !eval[bool](t, tb, `!document.getElementById("passkeys-proof-switch").hidden`) {
			t.Error("no way to use a recovery code instead")
		}
		tb.fill(t, "passkeys-code", app.code(t)+"\r")
		tb.waitFor(t, `document.querySelectorAll("#passkeys-list .item").length === 2`)
		if !eval[bool](t, tb, `document.getElementById("passkeys-proof").hidden && document.getElementById("passkeys-password-field").hidden`) {
			t.Error("the password and code stay on show after the passkey is added")
		}
	})
}

func passkeyReauth(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv := startServerWith(t, serverOptions{target: tg})
	tb.addAuthenticator(t, verifyingAuthenticator)

	age := func(t *testing.T) {
		t.Helper()
		// The session's log-in was 10 minutes ago.
		if _, err := srv.db.SQL().ExecContext(context.Background(),
			`UPDATE "Sessions" SET "createdAt" = "createdAt" - 600`); err != nil {
			t.Fatal(err)
		}
	}

	tb.must("AddingAsksForThePassword", func(t *testing.T) {
		logInAsDemo(t, tb, srv.PasskeyURL)
		age(t)
		openPasskeys(t, tb)
		tb.allow("/api/users/me/passkeys/begin", http.StatusBadRequest)
		tb.fill(t, "passkeys-name", "Laptop")
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-add")), chromedp.WaitVisible(chromedp.ID("passkeys-password")))
		tb.waitFor(t, `document.getElementById("passkeys-password").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "passkeys-password", auth.MsgPasskeyReauth)
		if got := tb.focused(t); got != "passkeys-password" {
			t.Errorf("focus is on %q, want the password", got)
		}
		tb.fill(t, "passkeys-password", "not-the-password\r")
		// Typing took the first error away; the answer marks the field again.
		tb.waitFor(t, `document.getElementById("passkeys-password").getAttribute("aria-invalid") === "true"`)
		wantFieldError(t, tb, "passkeys-password", auth.MsgCurrentPasswordWrong)
		if n := len(passkeyItems(t, tb)); n != 0 {
			t.Fatalf("%d passkeys after a wrong password", n)
		}
		tb.fill(t, "passkeys-password", "password\r")
		tb.waitFor(t, `document.querySelectorAll("#passkeys-list .item").length === 1`)
		if !eval[bool](t, tb, `document.getElementById("passkeys-password-field").hidden`) {
			t.Error("the password field stays on show")
		}
	})

	tb.must("RemovingAsksForThePassword", func(t *testing.T) {
		age(t)
		var id string
		for k := range passkeyItems(t, tb) {
			id = k
		}
		tb.allow("/api/users/me/passkeys/"+id, http.StatusBadRequest)
		tb.do(t, chromedp.Click(chromedp.ID("passkey-remove-"+id)), chromedp.WaitVisible(chromedp.ID("passkeys-confirm")))
		tb.do(t, chromedp.Click(chromedp.ID("passkeys-remove-yes")), chromedp.WaitVisible(chromedp.ID("passkeys-password")))
		wantFieldError(t, tb, "passkeys-password", auth.MsgPasskeyReauth)
		tb.fill(t, "passkeys-password", "password\r")
		wantMessage(t, tb, "passkeys-message", "The passkey Laptop is removed. You have no passkeys now.")
	})
}

func passkeyFailures(t *testing.T, tg testdb.Target) {
	tb := openTab(t)
	srv := startServerWith(t, serverOptions{target: tg})
	// An authenticator with no passkey of this site: the browser's request ends without
	// one, as when the person cancels its dialog.
	tb.addAuthenticator(t, verifyingAuthenticator)

	tb.must("NoPasskeyWasUsed", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.PasskeyURL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		tb.do(t, chromedp.Click(chromedp.ID("passkey-login")))
		wantMessage(t, tb, "login-message", "No passkey was used. Try again, or log in with your password.")
		if got := tb.focused(t); got != "passkey-login" {
			t.Errorf("focus is on %q, want the button", got)
		}
		if n := srv.faults.count("POST /api/session/passkey/finish"); n != 0 {
			t.Errorf("%d answers sent", n)
		}
	})

	tb.must("PasskeysOffOnTheServer", func(t *testing.T) {
		tb.allow("/api/session/passkey/begin", http.StatusServiceUnavailable)
		srv.faults.set("POST /api/session/passkey/begin", fault{status: http.StatusServiceUnavailable,
			body: fmt.Sprintf(`{"message":%q}`, auth.MsgPasskeysOff)})
		defer srv.faults.clear("POST /api/session/passkey/begin")
		tb.do(t, chromedp.Click(chromedp.ID("passkey-login")))
		wantMessage(t, tb, "login-message", auth.MsgPasskeysOff)
	})

	tb.must("ABrowserWithoutWebAuthn", func(t *testing.T) {
		begun := srv.faults.count("POST /api/session/passkey/begin")
		// As in a browser that has never heard of passkeys.
		eval[chromedp.Void](t, tb, `delete window.PublicKeyCredential`)
		tb.do(t, chromedp.Click(chromedp.ID("passkey-login")))
		wantMessage(t, tb, "login-message", "This browser cannot use passkeys. Log in with your password, or use a browser that can.")
		if n := srv.faults.count("POST /api/session/passkey/begin") - begun; n != 0 {
			t.Errorf("%d challenges asked for by a browser that cannot answer them", n)
		}
	})
}
