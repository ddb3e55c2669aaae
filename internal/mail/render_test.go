package mail_test

import (
	"html"
	"strings"
	"testing"
	"time"

	"authme/internal/mail"
)

// fullData fills every field a kind may need.
func fullData() mail.Data {
	return mail.Data{
		To:       "ann@example.com",
		Username: "ann",
		Link:     "https://auth.example.com/reset-password#token=q9_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abc",
		Expires:  30 * time.Minute,
		NewEmail: "ann.new@example.com",
		OldEmail: "ann.old@example.com",
		Request: mail.Request{
			Time:    time.Date(2026, 12, 2, 3, 4, 0, 0, time.FixedZone("CET", 3600)),
			Address: "203.0.113.7",
			Browser: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		},
	}
}

var kinds = []string{"password-reset", "password-changed", "verify-email", "email-change-confirm", "email-change-notice", "email-changed", "totp-enabled", "totp-disabled", "recovery-code-used", "passkey-added", "passkey-removed"}

func TestRenderEveryKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind    string
		subject string
		mention []string // in both parts, beside who asked
	}{
		{"password-reset", "Reset your password", []string{"30 minutes", "Not you?"}},
		{"password-changed", "Your password was changed", []string{"Reset your password now", "Not you?"}},
		{"verify-email", "Confirm your email address", []string{"ann@example.com", "Not you?"}},
		{"email-change-confirm", "Confirm your new email address", []string{"ann.new@example.com", "Not you?"}},
		{"email-change-notice", "Someone asked to change your email address", []string{"ann.new@example.com", "Change your password", "Not you?"}},
		{"email-changed", "Your email address was changed", []string{"ann.old@example.com", "ann.new@example.com", "7 days", "change your password", "Not you?"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			d := fullData()
			if tt.kind == "email-changed" {
				d.Expires = 7 * 24 * time.Hour
			}
			m, err := mail.Render(tt.kind, d)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if m.To != d.To || m.Subject != tt.subject {
				t.Errorf("To, Subject = %q, %q; want %q, %q", m.To, m.Subject, d.To, tt.subject)
			}
			if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") {
				t.Errorf("HTML part does not start with a doctype: %.60q", m.HTML)
			}
			whoAsked := []string{"2 December 2026 at 02:04 UTC", "203.0.113.7", "Chrome on Linux"}
			for part, body := range map[string]string{"text": m.Text, "html": html.UnescapeString(m.HTML)} {
				for _, s := range append(whoAsked, tt.mention...) {
					if !strings.Contains(body, s) {
						t.Errorf("%s part does not mention %q:\n%s", part, s, body)
					}
				}
			}
			// The link appears exactly as given, not re-encoded, in both parts.
			for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
				if !strings.Contains(body, d.Link) {
					t.Errorf("%s part does not hold the link %q exactly", part, d.Link)
				}
			}
			if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<link") || strings.Contains(m.HTML, "<script") {
				t.Error("HTML part loads something external")
			}
		})
	}
}

func TestRenderEscapesWhatUsersTyped(t *testing.T) {
	t.Parallel()
	const hostile = `<img src=x onerror=alert(1)>"'&`
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			d := fullData()
			d.Request.Browser = hostile
			d.Username = hostile
			d.NewEmail = `"<b>x</b>"@example.com`
			m, err := mail.Render(kind, d)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, raw := range []string{"<img", "<b>"} {
				if strings.Contains(m.HTML, raw) {
					t.Errorf("HTML part holds %q unescaped:\n%s", raw, m.HTML)
				}
			}
			if !strings.Contains(m.HTML, "&lt;img src=x onerror=alert(1)&gt;") {
				t.Errorf("HTML part does not show the escaped user agent:\n%s", m.HTML)
			}
			if !strings.Contains(m.Text, hostile) {
				t.Errorf("text part does not show the user agent as sent:\n%s", m.Text)
			}
		})
	}
}

func TestRenderRefusesALinkThatIsNotHTTP(t *testing.T) {
	t.Parallel()
	d := fullData()
	d.Link = "javascript:alert(1)"
	m, err := mail.Render("password-reset", d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(m.HTML, `href="javascript:`) {
		t.Errorf("HTML part links to javascript:\n%s", m.HTML)
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kind    string
		change  func(*mail.Data)
		mention string
	}{
		{"UnknownKind", "password-resets", func(*mail.Data) {}, `"password-resets"`},
		{"NoRecipient", "password-changed", func(d *mail.Data) { d.To = "" }, "To"},
		{"ResetWithoutLink", "password-reset", func(d *mail.Data) { d.Link = "" }, "Link"},
		{"ResetWithoutExpiry", "password-reset", func(d *mail.Data) { d.Expires = 0 }, "Expires"},
		{"VerifyWithoutLink", "verify-email", func(d *mail.Data) { d.Link = "" }, "Link"},
		{"ConfirmWithoutNewEmail", "email-change-confirm", func(d *mail.Data) { d.NewEmail = "" }, "NewEmail"},
		{"NoticeWithoutNewEmail", "email-change-notice", func(d *mail.Data) { d.NewEmail = "" }, "NewEmail"},
		{"ChangedWithoutOldEmail", "email-changed", func(d *mail.Data) { d.OldEmail = "" }, "OldEmail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := fullData()
			tt.change(&d)
			if _, err := mail.Render(tt.kind, d); err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("Render error = %v; want one mentioning %q", err, tt.mention)
			}
		})
	}
}

func TestRenderWithoutOptionalFields(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"password-changed", "email-change-notice"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			d := fullData()
			d.Link, d.Username, d.Request = "", "", mail.Request{}
			m, err := mail.Render(kind, d)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, s := range []string{"an unknown time", "unknown", "an unknown browser", "Not you?"} {
				if !strings.Contains(m.Text, s) || !strings.Contains(m.HTML, s) {
					t.Errorf("a part does not say %q:\n%s\n%s", s, m.Text, m.HTML)
				}
			}
			if strings.Contains(m.Text, "Hello") {
				t.Errorf("text part greets nobody:\n%s", m.Text)
			}
		})
	}
}
