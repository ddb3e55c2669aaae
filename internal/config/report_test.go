package config_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"authme/internal/config"
)

// TestLoadReportsEveryBadSettingOnItsOwnLine gives many settings a bad value at once. The
// error must hold exactly one line per bad setting, each starting with the variable's name:
// the operator fixes them all in one go, and no setting is reported twice or not at all.
func TestLoadReportsEveryBadSettingOnItsOwnLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string // the variables named, one line each
	}{
		{"EverySettingInProduction", map[string]string{
			"NODE_ENV": "production",
			"HOST":     "127.0.0.1:8000", "PORT": "abc", "METRICS_ADDR": "9090", "LOG_LEVEL": "loud",
			"SCHEMA": "1abc", "DB_MAX_CONNS": "0",
			"JWT_SECRET": "short", "JWT_EXPIRES_IN": "0", "SESSION_IDLE_TIMEOUT": "a day",
			"PASSWORD_HASH": "md5", "BCRYPT_COST": "40", "HASH_CONCURRENCY": "0", "HASH_QUEUE": "-1",
			"TRUST_PROXY": "10.0.0.0/8 proxy.internal", "CORS_ORIGINS": "ftp://app.example.com",
			"LOGIN_RATE_PER_MINUTE": "-1", "LOGIN_RATE_BURST": "0", "LOGIN_RATE_IPV6_PREFIX": "/64",
			"SMTP_URL": "smtp://u:pw@mail.example.com?tls=nope", "MAIL_FROM": "nobody", "PUBLIC_URL": "http://auth.example.com",
			"RESET_TOKEN_TTL": "0s", "REQUIRE_VERIFIED_EMAIL": "sometimes",
			"ENCRYPTION_KEY": "c2hvcnQ=", "TOTP_ISSUER": "a:b",
			"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGINS": "https://evil.example.net",
		}, []string{
			"HOST", "PORT", "METRICS_ADDR", "LOG_LEVEL", "DATABASE_URL", "SCHEMA", "DB_MAX_CONNS",
			"JWT_SECRET", "JWT_EXPIRES_IN", "SESSION_IDLE_TIMEOUT", "PASSWORD_HASH", "BCRYPT_COST",
			"HASH_CONCURRENCY", "HASH_QUEUE", "TRUST_PROXY", "CORS_ORIGINS", "LOGIN_RATE_PER_MINUTE",
			"LOGIN_RATE_BURST", "LOGIN_RATE_IPV6_PREFIX",
			"SMTP_URL", "MAIL_FROM", "PUBLIC_URL", "RESET_TOKEN_TTL", "REQUIRE_VERIFIED_EMAIL",
			"ENCRYPTION_KEY", "TOTP_ISSUER", "WEBAUTHN_ORIGINS",
		}},
		{"PasskeysOnAnIPAddress", map[string]string{"WEBAUTHN_RP_ID": "127.0.0.1"}, []string{"WEBAUTHN_RP_ID"}},
		{"MailMissingInProduction", map[string]string{
			"NODE_ENV": "production", "DATABASE_URL": "postgres://db/authme", "JWT_SECRET": strings.Repeat("k", 32),
			"SMTP_URL": "smtps://mail.example.com",
		}, []string{"MAIL_FROM", "PUBLIC_URL"}},
		{"UnknownEnvironmentAndAPort", map[string]string{"APP_ENV": "staging", "PORT": "-1"},
			[]string{"APP_ENV", "PORT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(tt.env))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			named := map[string]int{}
			for _, line := range strings.Split(err.Error(), "\n") {
				name, _, _ := strings.Cut(line, " ")
				named[name]++
			}
			for _, v := range tt.want {
				if named[v] != 1 {
					t.Errorf("%s is named at the start of %d lines, want 1", v, named[v])
				}
			}
			if extra := slices.DeleteFunc(slices.Sorted(maps.Keys(named)), func(n string) bool {
				return slices.Contains(tt.want, n)
			}); len(extra) > 0 {
				t.Errorf("unexpected lines starting with %q", extra)
			}
			if t.Failed() {
				t.Logf("error:\n%v", err)
			}
		})
	}
}
