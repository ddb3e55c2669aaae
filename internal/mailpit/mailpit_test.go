package mailpit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"authme/internal/mail"
	"authme/internal/mailpit"
)

// transport returns an SMTP transport to the URL, failing the test on a bad one.
func transport(t *testing.T, rawURL string) mail.Transport {
	t.Helper()
	cfg, err := mail.ParseSMTPURL(rawURL)
	if err != nil {
		t.Fatalf("ParseSMTPURL(%q): %v", rawURL, err)
	}
	tr, err := mail.NewSMTP(cfg, "authme <no-reply@auth.example.com>")
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return tr
}

// rendered is a password-reset mail to the address to.
func rendered(t *testing.T, to string) mail.Message {
	t.Helper()
	m, err := mail.Render("password-reset", mail.Data{
		To: to, Username: "ann", Expires: 30 * time.Minute,
		Link:    "https://auth.example.com/reset-password#token=Zm9vYmFyYmF6cXV4LV8tXw",
		Request: mail.Request{Time: time.Now(), Address: "198.51.100.4", Browser: "<b>Bold</b>/1.0"},
	})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return m
}

func TestSMTPDeliversToMailpit(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	sent := rendered(t, "ann@example.com")
	if err := transport(t, mp.SMTPURL()).Send(context.Background(), sent); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := mp.WaitFor(t, "ann@example.com", 10*time.Second)
	if got.From != "no-reply@auth.example.com" {
		t.Errorf("From = %q, want no-reply@auth.example.com", got.From)
	}
	if got.Subject != sent.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, sent.Subject)
	}
	link := "https://auth.example.com/reset-password#token=Zm9vYmFyYmF6cXV4LV8tXw"
	if !strings.Contains(got.Text, link) || !strings.Contains(got.Text, "<b>Bold</b>/1.0") {
		t.Errorf("text part lacks the link or the user agent as sent:\n%s", got.Text)
	}
	if !strings.Contains(got.HTML, link) || !strings.Contains(got.HTML, "&lt;b&gt;Bold&lt;/b&gt;/1.0") {
		t.Errorf("HTML part lacks the link or the escaped user agent:\n%s", got.HTML)
	}
	for _, h := range []string{"Date", "Message-Id", "Content-Type", "From", "Subject"} {
		if len(header(got.Headers, h)) == 0 {
			t.Errorf("header %s missing; headers: %v", h, got.Headers)
		}
	}
	if ct := strings.Join(header(got.Headers, "Content-Type"), ""); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if id := strings.Join(header(got.Headers, "Message-Id"), ""); !strings.HasSuffix(id, "@auth.example.com>") {
		t.Errorf("Message-ID = %q, want one in the From domain", id)
	}
}

// header reads a header whatever the case Mailpit gives its name in.
func header(h map[string][]string, name string) []string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func TestSTARTTLSRequiredIsNotSentInPlain(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	plainURL := mp.SMTPURL()
	required := strings.TrimSuffix(plainURL, "?tls=none") // the same server, STARTTLS required
	err := transport(t, required).Send(context.Background(), rendered(t, "bob@example.com"))
	if err == nil {
		t.Fatal("Send succeeded over a server without STARTTLS; want a refusal")
	}
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error %q does not say STARTTLS is missing", err)
	}
	msgs, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	if len(msgs) != 0 {
		t.Errorf("Mailpit received %d messages; want none", len(msgs))
	}
}

func TestMailArrivesOnceTheServerIsBack(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	tr := transport(t, mp.SMTPURL())
	if err := tr.Send(context.Background(), rendered(t, "before@example.com")); err != nil {
		t.Fatalf("Send before Stop: %v", err)
	}
	mp.WaitFor(t, "before@example.com", 10*time.Second)

	mp.Stop()
	if err := tr.Send(context.Background(), rendered(t, "during@example.com")); err == nil {
		t.Fatal("Send succeeded while Mailpit was stopped")
	}
	mp.Start()
	if err := tr.Send(context.Background(), rendered(t, "after@example.com")); err != nil {
		t.Fatalf("Send after Start: %v", err)
	}
	mp.WaitFor(t, "after@example.com", 10*time.Second)
	msgs, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	if len(msgs) != 2 {
		t.Errorf("Mailpit holds %d messages after the restart; want the 2 sent while it ran", len(msgs))
	}
}

func TestWaitForReturnsSuccessiveMails(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	tr := transport(t, mp.SMTPURL())
	for _, kind := range []string{"password-changed", "verify-email"} {
		m, err := mail.Render(kind, mail.Data{To: "cy@example.com", Link: "https://auth.example.com/verify-email#token=x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Send(context.Background(), m); err != nil {
			t.Fatalf("Send %s: %v", kind, err)
		}
	}
	first := mp.WaitFor(t, "cy@example.com", 10*time.Second)
	second := mp.WaitFor(t, "cy@example.com", 10*time.Second)
	if first.Subject != "Your password was changed" || second.Subject != "Confirm your email address" {
		t.Errorf("subjects = %q, %q; want the two mails in the order sent", first.Subject, second.Subject)
	}
}

func TestSendStopsWhenTheContextIsDone(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := transport(t, mp.SMTPURL()).Send(ctx, rendered(t, "dee@example.com")); err == nil {
		t.Fatal("Send with a cancelled context succeeded")
	}
}
