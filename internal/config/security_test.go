package config_test

import (
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"authme/internal/config"
)

func TestLoadServerSettings(t *testing.T) {
	t.Parallel()

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(nil))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.SessionIdleTimeout != 24*time.Hour {
			t.Errorf("SessionIdleTimeout = %v, want 24h", c.SessionIdleTimeout)
		}
		if len(c.TrustProxy) != 0 {
			t.Errorf("TrustProxy = %v, want none: no proxy is trusted unless named", c.TrustProxy)
		}
		if !slices.Equal(c.CORSOrigins, []string{"http://localhost:*", "http://127.0.0.1:*"}) {
			t.Errorf("development CORSOrigins = %v, want the local ones", c.CORSOrigins)
		}
		if c.LoginRatePerMinute != 20 || c.LoginRateBurst != 30 || c.DBMaxConns != 10 {
			t.Errorf("rate %v, burst %d, conns %d; want 20, 30, 10", c.LoginRatePerMinute, c.LoginRateBurst, c.DBMaxConns)
		}
		if c.LoginIPv6Prefix != 64 {
			t.Errorf("LoginIPv6Prefix = %d, want 64: one bucket per IPv6 /64", c.LoginIPv6Prefix)
		}
		// The queue's length is tuning; it must exist, so a burst waits instead of failing.
		if c.HashConcurrency != runtime.NumCPU() || c.HashQueue < c.HashConcurrency {
			t.Errorf("HashConcurrency %d, HashQueue %d; want NumCPU and a queue at least as long", c.HashConcurrency, c.HashQueue)
		}
		if c.MetricsAddr != "" || c.LogLevel != slog.LevelInfo {
			t.Errorf("MetricsAddr %q, LogLevel %v; want off and info", c.MetricsAddr, c.LogLevel)
		}
	})

	t.Run("ProductionTrustsNoOriginByDefault", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{
			"NODE_ENV": "production", "DATABASE_URL": "postgres://u@h/db", "JWT_SECRET": strings.Repeat("s", 48),
		}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if len(c.CORSOrigins) != 0 {
			t.Errorf("production CORSOrigins = %v, want none", c.CORSOrigins)
		}
	})

	t.Run("ValuesAreRead", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{
			"SESSION_IDLE_TIMEOUT":  "90m",
			"TRUST_PROXY":           "10.0.0.0/8, 192.168.1.5 ::ffff:172.16.0.1 10.1.2.3/16",
			"CORS_ORIGINS":          "https://app.example.com,http://localhost:*",
			"LOGIN_RATE_PER_MINUTE": "0",
			"LOGIN_RATE_BURST":      "5",
			"DB_MAX_CONNS":          "25",
			"HASH_CONCURRENCY":      "3",
			"HASH_QUEUE":            "0",
			"METRICS_ADDR":          "127.0.0.1:9090",
			"LOG_LEVEL":             "debug",
		}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.SessionIdleTimeout != 90*time.Minute {
			t.Errorf("SessionIdleTimeout = %v, want 90m", c.SessionIdleTimeout)
		}
		want := []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.5/32"),
			netip.MustParsePrefix("172.16.0.1/32"), netip.MustParsePrefix("10.1.0.0/16"),
		}
		if !slices.Equal(c.TrustProxy, want) {
			t.Errorf("TrustProxy = %v, want %v", c.TrustProxy, want)
		}
		if !slices.Equal(c.CORSOrigins, []string{"https://app.example.com", "http://localhost:*"}) {
			t.Errorf("CORSOrigins = %v", c.CORSOrigins)
		}
		if c.LoginRatePerMinute != 0 || c.LoginRateBurst != 5 || c.DBMaxConns != 25 || c.HashConcurrency != 3 || c.HashQueue != 0 {
			t.Errorf("numbers = %v %d %d %d %d", c.LoginRatePerMinute, c.LoginRateBurst, c.DBMaxConns, c.HashConcurrency, c.HashQueue)
		}
		if c.MetricsAddr != "127.0.0.1:9090" || c.LogLevel != slog.LevelDebug {
			t.Errorf("MetricsAddr %q, LogLevel %v", c.MetricsAddr, c.LogLevel)
		}
	})

	t.Run("IdleTimeoutInSeconds", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{"SESSION_IDLE_TIMEOUT": "3600"}))
		if err != nil || c.SessionIdleTimeout != time.Hour {
			t.Errorf("SESSION_IDLE_TIMEOUT=3600 gives %v, %v; want 1h", c.SessionIdleTimeout, err)
		}
	})

	t.Run("EventRetention", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			value string
			want  time.Duration
		}{{"", 90 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"720h", 720 * time.Hour}, {"86400", 24 * time.Hour}} {
			c, err := config.Load(env(map[string]string{"EVENT_RETENTION": tt.value}))
			if err != nil || c.EventRetention != tt.want {
				t.Errorf("EVENT_RETENTION=%q gives %v, %v; want %v", tt.value, c.EventRetention, err, tt.want)
			}
		}
		if _, err := config.Load(env(map[string]string{"EVENT_RETENTION": "0d"})); err == nil {
			t.Error("EVENT_RETENTION=0d is accepted, want an error")
		}
	})

	t.Run("IPv6PrefixIsRead", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{"LOGIN_RATE_IPV6_PREFIX": "56"}))
		if err != nil || c.LoginIPv6Prefix != 56 {
			t.Errorf("LOGIN_RATE_IPV6_PREFIX=56 gives %d, %v; want 56", c.LoginIPv6Prefix, err)
		}
	})
}

func TestLoadServerSettingsInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value string
	}{
		{"IdleZero", "SESSION_IDLE_TIMEOUT", "0"},
		{"IdleNegative", "SESSION_IDLE_TIMEOUT", "-5"},
		{"IdleSubSecond", "SESSION_IDLE_TIMEOUT", "500ms"},
		{"IdleWords", "SESSION_IDLE_TIMEOUT", "a day"},
		{"ProxyHostname", "TRUST_PROXY", "proxy.internal"},
		{"ProxyBadCIDR", "TRUST_PROXY", "10.0.0.0/33"},
		{"OriginNoScheme", "CORS_ORIGINS", "app.example.com"},
		{"OriginFTP", "CORS_ORIGINS", "ftp://app.example.com"},
		{"OriginWithPath", "CORS_ORIGINS", "https://app.example.com/"},
		{"OriginWithUser", "CORS_ORIGINS", "https://me@app.example.com"},
		{"OriginWildcardAndPort", "CORS_ORIGINS", "http://localhost:8000:*"},
		{"RateNegative", "LOGIN_RATE_PER_MINUTE", "-1"},
		{"BurstZero", "LOGIN_RATE_BURST", "0"},
		{"IPv6PrefixTooShort", "LOGIN_RATE_IPV6_PREFIX", "31"},
		{"IPv6PrefixTooLong", "LOGIN_RATE_IPV6_PREFIX", "129"},
		{"IPv6PrefixNotANumber", "LOGIN_RATE_IPV6_PREFIX", "/64"},
		{"ConnsZero", "DB_MAX_CONNS", "0"},
		{"HashConcurrencyZero", "HASH_CONCURRENCY", "0"},
		{"HashQueueNegative", "HASH_QUEUE", "-1"},
		{"MetricsNoPort", "METRICS_ADDR", "9090"},
		{"LogLevelUnknown", "LOG_LEVEL", "loud"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(map[string]string{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) = %+v, nil; want an error", tt.key, tt.value, c)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
		})
	}
}

func TestCORSOriginsAreLowercasedAndHostWildcardsRefused(t *testing.T) {
	t.Parallel()
	c, err := config.Load(func(k string) string {
		return map[string]string{"CORS_ORIGINS": "HTTPS://App.Example.com, http://LOCALHOST:*"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.CORSOrigins, " "); got != "https://app.example.com http://localhost:*" {
		t.Fatalf("CORSOrigins = %q", got)
	}
	_, err = config.Load(func(k string) string { return map[string]string{"CORS_ORIGINS": "https://*.example.com"}[k] })
	if err == nil || !strings.Contains(err.Error(), "CORS_ORIGINS") {
		t.Fatalf("host wildcard: err = %v, want one naming CORS_ORIGINS", err)
	}
}
