package mail_test

import (
	"strings"
	"testing"

	"authme/internal/mail"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want mail.SMTPConfig
	}{
		{"SMTPRequiresSTARTTLSOn587", "smtp://user:s3cret@mail.example.com",
			mail.SMTPConfig{Host: "mail.example.com", Port: 587, Security: mail.StartTLS, Username: "user", Password: "s3cret"}},
		{"SMTPWithPortKeepsSTARTTLS", "smtp://user:s3cret@mail.example.com:2525",
			mail.SMTPConfig{Host: "mail.example.com", Port: 2525, Security: mail.StartTLS, Username: "user", Password: "s3cret"}},
		{"ExplicitStartTLSIsTheDefault", "smtp://mail.example.com?tls=starttls",
			mail.SMTPConfig{Host: "mail.example.com", Port: 587, Security: mail.StartTLS}},
		{"SMTPSIsImplicitTLSOn465", "smtps://user:s3cret@mail.example.com",
			mail.SMTPConfig{Host: "mail.example.com", Port: 465, Security: mail.ImplicitTLS, Username: "user", Password: "s3cret"}},
		{"TLSNoneIsPlain", "smtp://127.0.0.1:1025?tls=none",
			mail.SMTPConfig{Host: "127.0.0.1", Port: 1025, Security: mail.NoTLS}},
		{"TLSNoneWithoutPortIs25", "smtp://relay.internal?tls=none",
			mail.SMTPConfig{Host: "relay.internal", Port: 25, Security: mail.NoTLS}},
		{"TLSNoneWithUserButNoPassword", "smtp://relay@relay.internal:25?tls=none",
			mail.SMTPConfig{Host: "relay.internal", Port: 25, Security: mail.NoTLS, Username: "relay"}},
		{"UserAndPasswordArePercentDecoded", "smtp://apikey%40example.com:p%40ss%3Aw%2Frd@smtp.example.com:587",
			mail.SMTPConfig{Host: "smtp.example.com", Port: 587, Security: mail.StartTLS, Username: "apikey@example.com", Password: "p@ss:w/rd"}},
		{"SchemeIsCaseInsensitive", "SMTPS://smtp.example.com",
			mail.SMTPConfig{Host: "smtp.example.com", Port: 465, Security: mail.ImplicitTLS}},
		{"IPv6Host", "smtp://[::1]:1025?tls=none",
			mail.SMTPConfig{Host: "::1", Port: 1025, Security: mail.NoTLS}},
		{"TrailingSlashIsAllowed", "smtps://smtp.example.com/",
			mail.SMTPConfig{Host: "smtp.example.com", Port: 465, Security: mail.ImplicitTLS}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mail.ParseSMTPURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseSMTPURL: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseSMTPURL = %+v, want %+v", got, tt.want)
			}
			if got.Password != "" && strings.Contains(got.String(), got.Password) {
				t.Errorf("String() = %q shows the password", got.String())
			}
		})
	}
}

func TestParseSMTPURLRefuses(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	tests := []struct {
		name    string
		raw     string
		mention string // the error must say this
	}{
		{"HTTPScheme", "http://user:s3cret@mail.example.com", `"http"`},
		{"NoScheme", "mail.example.com:587", "scheme"},
		{"Empty", "", "scheme"},
		{"MissingHost", "smtp://user:s3cret@:587", "no host"},
		{"OpaqueURL", "smtp:mail.example.com", "no host"},
		{"UnknownTLSValue", "smtp://user:s3cret@mail.example.com?tls=maybe", `"maybe"`},
		{"TLSNoneOnSMTPS", "smtps://mail.example.com?tls=none", `"none"`},
		{"UnknownParameter", "smtp://mail.example.com?insecure=1", `"insecure"`},
		{"PortNotANumber", "smtp://user:s3cret@mail.example.com:abc", "not a valid URL"},
		{"PortTooBig", "smtp://user:s3cret@mail.example.com:70000", `"70000"`},
		{"PortZero", "smtp://mail.example.com:0", `"0"`},
		{"PasswordInClear", "smtp://user:s3cret@127.0.0.1:1025?tls=none", "clear"},
		{"PasswordWithoutUser", "smtp://:s3cret@mail.example.com", "user name"},
		{"Path", "smtp://mail.example.com/inbox", "path"},
		{"BadEscapeInPassword", "smtp://user:s3c%zzret@mail.example.com", "not a valid URL"},
		{"SpaceInHost", "smtp://user:s3cret@mail example.com", "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := mail.ParseSMTPURL(tt.raw)
			if err == nil {
				t.Fatalf("ParseSMTPURL(%q) = %+v, nil; want an error", tt.raw, c)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			for _, leak := range []string{secret, "s3c", "%zz"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q shows (part of) the password %q", err, leak)
				}
			}
		})
	}
}

func TestSMTPConfigStringRedactsThePassword(t *testing.T) {
	t.Parallel()
	c, err := mail.ParseSMTPURL("smtps://user:s3cret@mail.example.com:465")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "smtps://user:xxxxx@mail.example.com:465"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
