package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"authme/internal/config"
	"authme/internal/mail"
)

// prod is a production environment that starts, to which a case adds mail settings.
func prod(extra map[string]string) map[string]string {
	m := map[string]string{
		"APP_ENV":      "production",
		"DATABASE_URL": "postgres://app:pw@db.internal:5432/authme?sslmode=require",
		"JWT_SECRET":   strings.Repeat("k", config.MinProductionSecret),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLoadMail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{"DevelopmentDefaultsLogMail", nil, func(t *testing.T, c config.Config) {
			if c.SMTPEnabled() || !c.MailEnabled() {
				t.Errorf("SMTPEnabled %v, MailEnabled %v; want the log transport", c.SMTPEnabled(), c.MailEnabled())
			}
			if c.MailFrom != config.DefaultMailFrom || c.PublicURL != "http://localhost:8000" {
				t.Errorf("MailFrom %q, PublicURL %q; want the development defaults", c.MailFrom, c.PublicURL)
			}
			if c.ResetTokenTTL != 30*time.Minute || c.RequireVerifiedEmail {
				t.Errorf("ResetTokenTTL %v, RequireVerifiedEmail %v; want 30m, false", c.ResetTokenTTL, c.RequireVerifiedEmail)
			}
		}},
		{"DevelopmentPublicURLFollowsPORT", map[string]string{"PORT": "9001"}, func(t *testing.T, c config.Config) {
			if c.PublicURL != "http://localhost:9001" {
				t.Errorf("PublicURL = %q, want http://localhost:9001", c.PublicURL)
			}
		}},
		{"ValuesAreRead", map[string]string{
			"SMTP_URL": "smtps://apikey:s3cret@smtp.example.com", "MAIL_FROM": "Example <auth@example.com>",
			"PUBLIC_URL": "https://example.com/auth/", "RESET_TOKEN_TTL": "15m", "REQUIRE_VERIFIED_EMAIL": "true",
		}, func(t *testing.T, c config.Config) {
			want := mail.SMTPConfig{Host: "smtp.example.com", Port: 465, Security: mail.ImplicitTLS, Username: "apikey", Password: "s3cret"}
			if c.SMTP != want || !c.SMTPEnabled() {
				t.Errorf("SMTP = %+v, want %+v", c.SMTP, want)
			}
			if c.MailFrom != "Example <auth@example.com>" || c.PublicURL != "https://example.com/auth" ||
				c.ResetTokenTTL != 15*time.Minute || !c.RequireVerifiedEmail {
				t.Errorf("MailFrom %q, PublicURL %q, ResetTokenTTL %v, RequireVerifiedEmail %v",
					c.MailFrom, c.PublicURL, c.ResetTokenTTL, c.RequireVerifiedEmail)
			}
			if got := c.PublicLink("/reset-password"); got != "https://example.com/auth/reset-password" {
				t.Errorf("PublicLink = %q", got)
			}
		}},
		{"TTLInSeconds", map[string]string{"RESET_TOKEN_TTL": "600"}, func(t *testing.T, c config.Config) {
			if c.ResetTokenTTL != 10*time.Minute {
				t.Errorf("ResetTokenTTL = %v, want 10m", c.ResetTokenTTL)
			}
		}},
		{"ProductionWithoutSMTPStartsWithMailOff", prod(nil), func(t *testing.T, c config.Config) {
			if c.MailEnabled() || c.SMTPEnabled() {
				t.Errorf("MailEnabled %v, SMTPEnabled %v; want mail off", c.MailEnabled(), c.SMTPEnabled())
			}
		}},
		{"ProductionWithSMTP", prod(map[string]string{
			"SMTP_URL": "smtp://u:p@smtp.example.com:587", "MAIL_FROM": "auth@example.com", "PUBLIC_URL": "https://auth.example.com",
			"REQUIRE_VERIFIED_EMAIL": "1",
		}), func(t *testing.T, c config.Config) {
			if !c.MailEnabled() || !c.SMTPEnabled() || !c.RequireVerifiedEmail {
				t.Errorf("MailEnabled %v, SMTPEnabled %v, RequireVerifiedEmail %v; want all true", c.MailEnabled(), c.SMTPEnabled(), c.RequireVerifiedEmail)
			}
		}},
		{"ProductionHTTPOnLoopback", prod(map[string]string{
			"SMTP_URL": "smtp://127.0.0.1:1025?tls=none", "MAIL_FROM": "auth@example.com", "PUBLIC_URL": "http://127.0.0.1:8000",
		}), func(t *testing.T, c config.Config) {
			if c.PublicURL != "http://127.0.0.1:8000" {
				t.Errorf("PublicURL = %q", c.PublicURL)
			}
		}},
		{"ConfigPrintsWithoutThePassword", map[string]string{"SMTP_URL": "smtp://u:s3cret@smtp.example.com"}, func(t *testing.T, c config.Config) {
			for _, verb := range []string{"%v", "%+v", "%s"} {
				if s := fmt.Sprintf(verb, c); strings.Contains(s, "s3cret") {
					t.Errorf("Sprintf(%s, cfg) shows the SMTP password: %s", verb, s)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadMailInvalid(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	tests := []struct {
		name    string
		env     map[string]string
		mention []string
	}{
		{"SMTPURLWithOtherScheme", map[string]string{"SMTP_URL": "http://u:s3cret@smtp.example.com"}, []string{"SMTP_URL", `"http"`}},
		{"SMTPURLWithoutHost", map[string]string{"SMTP_URL": "smtp://u:s3cret@:587"}, []string{"SMTP_URL", "host"}},
		{"SMTPURLUnknownTLS", map[string]string{"SMTP_URL": "smtp://u:s3cret@smtp.example.com?tls=off"}, []string{"SMTP_URL", `"off"`}},
		{"SMTPURLBadPort", map[string]string{"SMTP_URL": "smtp://u:s3cret@smtp.example.com:99999"}, []string{"SMTP_URL", "99999"}},
		{"MailFromNotAnAddress", map[string]string{"MAIL_FROM": "nobody"}, []string{"MAIL_FROM", `"nobody"`}},
		{"PublicURLNotHTTP", map[string]string{"PUBLIC_URL": "ftp://auth.example.com"}, []string{"PUBLIC_URL", "http(s)"}},
		{"PublicURLWithoutHost", map[string]string{"PUBLIC_URL": "https://"}, []string{"PUBLIC_URL"}},
		{"PublicURLRelative", map[string]string{"PUBLIC_URL": "auth.example.com"}, []string{"PUBLIC_URL"}},
		{"PublicURLWithQuery", map[string]string{"PUBLIC_URL": "https://auth.example.com/?a=b"}, []string{"PUBLIC_URL", "query"}},
		{"PublicURLWithFragment", map[string]string{"PUBLIC_URL": "https://auth.example.com#x"}, []string{"PUBLIC_URL", "fragment"}},
		{"PublicURLWithUser", map[string]string{"PUBLIC_URL": "https://u:p@auth.example.com"}, []string{"PUBLIC_URL"}},
		{"ResetTTLTooShort", map[string]string{"RESET_TOKEN_TTL": "30s"}, []string{"RESET_TOKEN_TTL"}},
		{"ResetTTLTooLong", map[string]string{"RESET_TOKEN_TTL": "48h"}, []string{"RESET_TOKEN_TTL"}},
		{"ResetTTLNotADuration", map[string]string{"RESET_TOKEN_TTL": "half an hour"}, []string{"RESET_TOKEN_TTL"}},
		{"RequireVerifiedNotABool", map[string]string{"REQUIRE_VERIFIED_EMAIL": "maybe"}, []string{"REQUIRE_VERIFIED_EMAIL", `"maybe"`}},
		{"ProductionSMTPWithoutPublicURLAndFrom", prod(map[string]string{"SMTP_URL": "smtp://u:s3cret@smtp.example.com"}),
			[]string{"PUBLIC_URL is required", "MAIL_FROM is required"}},
		{"ProductionHTTPPublicURL", prod(map[string]string{
			"SMTP_URL": "smtp://u:s3cret@smtp.example.com", "MAIL_FROM": "a@example.com", "PUBLIC_URL": "http://auth.example.com",
		}), []string{"PUBLIC_URL", "https"}},
		{"ProductionRequireVerifiedWithoutSMTP", prod(map[string]string{"REQUIRE_VERIFIED_EMAIL": "true"}),
			[]string{"REQUIRE_VERIFIED_EMAIL", "SMTP_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tt.env))
			if err == nil {
				t.Fatalf("Load = %+v, nil; want an error", c)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the SMTP password", err)
			}
		})
	}
}
