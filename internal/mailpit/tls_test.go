package mailpit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"authme/internal/mail"
	"authme/internal/mailpit"
)

// A password with every character a URL must escape, to show ParseSMTPURL decodes it.
const smtpPassword = "p@ss w/rd:%?#"

func TestSMTPOverTLSWithAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts mailpit.Options
	}{
		{"STARTTLSWithPassword", mailpit.Options{Security: mailpit.StartTLS, Username: "apikey@example.com", Password: smtpPassword}},
		{"ImplicitTLSWithPassword", mailpit.Options{Security: mailpit.TLS, Username: "apikey@example.com", Password: smtpPassword}},
		{"STARTTLSWithoutPassword", mailpit.Options{Security: mailpit.StartTLS}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mp := mailpit.StartWith(t, tt.opts)
			cfg, err := mail.ParseSMTPURL(mp.SMTPURL())
			if err != nil {
				t.Fatalf("ParseSMTPURL: %v", err)
			}
			if cfg.Password != tt.opts.Password {
				t.Fatalf("password decoded as %q, want %q", cfg.Password, tt.opts.Password)
			}
			cfg.TLS = mp.TLSConfig()
			tr, err := mail.NewSMTP(cfg, "no-reply@auth.example.com")
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Send(context.Background(), rendered(t, "eve@example.com")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := mp.WaitFor(t, "eve@example.com", 10*time.Second); got.Subject != "Reset your password" {
				t.Errorf("Subject = %q", got.Subject)
			}
		})
	}
}

func TestSMTPRefuses(t *testing.T) {
	t.Parallel()
	mp := mailpit.StartWith(t, mailpit.Options{Security: mailpit.StartTLS, Username: "user", Password: "right"})
	tests := []struct {
		name    string
		change  func(*mail.SMTPConfig)
		mention string
	}{
		{"AnUntrustedCertificate", func(c *mail.SMTPConfig) { c.TLS = nil }, "certificate"},
		{"AWrongPassword", func(c *mail.SMTPConfig) { c.Password = "wrong" }, "auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { // not parallel: the count below must follow them
			cfg, err := mail.ParseSMTPURL(mp.SMTPURL())
			if err != nil {
				t.Fatal(err)
			}
			cfg.TLS = mp.TLSConfig()
			tt.change(&cfg)
			tr, err := mail.NewSMTP(cfg, "no-reply@auth.example.com")
			if err != nil {
				t.Fatal(err)
			}
			err = tr.Send(context.Background(), rendered(t, "mal@example.com"))
			if err == nil {
				t.Fatal("Send succeeded; want a refusal")
			}
			if !strings.Contains(strings.ToLower(err.Error()), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			if strings.Contains(err.Error(), "right") || strings.Contains(err.Error(), "wrong") {
				t.Errorf("error %q shows a password", err)
			}
			t.Logf("refused: %v", err)
		})
	}
	msgs, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 0 {
		t.Errorf("Mailpit received %d messages; want none", len(msgs))
	}
}
