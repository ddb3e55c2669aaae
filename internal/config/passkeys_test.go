package config_test

import (
	"slices"
	"strings"
	"testing"

	"authme/internal/config"
)

func TestPasskeySettings(t *testing.T) {
	t.Parallel()
	prod := map[string]string{"NODE_ENV": "production", "DATABASE_URL": "postgres://db/authme", "JWT_SECRET": strings.Repeat("k", 32)}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		name        string
		env         map[string]string
		wantRPID    string
		wantOrigins []string
		wantOff     bool
		wantErr     string
	}{
		{"DevelopmentDefaultsToLocalhost", map[string]string{}, "localhost", []string{"http://localhost:8000"}, false, ""},
		{"DefaultsFromPublicURL", with(prod, "PUBLIC_URL", "https://auth.example.com"), "auth.example.com", []string{"https://auth.example.com"}, false, ""},
		{"AnIPAddressPublicURLTurnsThemOff", map[string]string{"PUBLIC_URL": "http://127.0.0.1:8000"}, "", nil, true, ""},
		{"ProductionWithNothingIsOff", prod, "", nil, true, ""},
		{"ExplicitSettings", with(prod, "WEBAUTHN_RP_ID", "example.com", "WEBAUTHN_ORIGINS", "https://example.com, https://app.example.com:8443"),
			"example.com", []string{"https://example.com", "https://app.example.com:8443"}, false, ""},
		{"HTTPOriginRefusedInProduction", with(prod, "WEBAUTHN_RP_ID", "example.com", "WEBAUTHN_ORIGINS", "http://example.com"), "", nil, false, "must be https in production"},
		{"AnOriginOnAnotherDomainRefused", with(prod, "WEBAUTHN_RP_ID", "example.com", "WEBAUTHN_ORIGINS", "https://example.com.evil.net"), "", nil, false, "is not on example.com"},
		{"AnOriginWithAPathRefused", with(prod, "WEBAUTHN_RP_ID", "example.com", "WEBAUTHN_ORIGINS", "https://example.com/app"), "", nil, false, "no path"},
		{"AnIPAddressRPIDRefused", map[string]string{"WEBAUTHN_RP_ID": "10.0.0.1"}, "", nil, false, "refuses IP addresses"},
		{"ADefaultOriginOffTheRPIDRefused", map[string]string{"WEBAUTHN_RP_ID": "example.com"}, "", nil, false, "is not on example.com"},
		{"AnRPIDWithoutOriginsNeedsPublicURL", with(prod, "WEBAUTHN_RP_ID", "example.com"), "", nil, false, "WEBAUTHN_ORIGINS is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load = %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.WebAuthnRPID != tt.wantRPID || !slices.Equal(c.WebAuthnOrigins, tt.wantOrigins) || (c.PasskeysOff != "") != tt.wantOff {
				t.Errorf("rp %q origins %q off %q; want %q %q off=%v", c.WebAuthnRPID, c.WebAuthnOrigins, c.PasskeysOff, tt.wantRPID, tt.wantOrigins, tt.wantOff)
			}
		})
	}
}
