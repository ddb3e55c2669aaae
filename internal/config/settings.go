package config

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"runtime"
	"strings"
	"time"
)

// readServer reads the environment and where authme listens and logs.
func readServer(r *reader, c *Config) {
	c.Env = firstNonEmpty(r.getenv("APP_ENV"), r.getenv("NODE_ENV"), Development)
	switch c.Env {
	case Development, Test, Production:
	default:
		r.failf("APP_ENV must be development, test or production, not %q", c.Env)
	}
	c.Host = r.host("HOST")
	c.Port = r.int("PORT", 8000, 0, 65535)
	c.MetricsAddr = r.str("METRICS_ADDR")
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			r.failf("METRICS_ADDR must be host:port (e.g. 127.0.0.1:9090), not %q", c.MetricsAddr)
		}
	}
	if lvl := r.str("LOG_LEVEL"); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			r.failf("LOG_LEVEL must be debug, info, warn or error, not %q", lvl)
		}
	}
}

// readDatabase reads which database to use and how; production must name PostgreSQL.
func readDatabase(r *reader, c *Config) {
	c.DBFile = firstNonEmpty(r.getenv("DB_FILE"), "db/dev.db")
	c.DatabaseURL = r.str("DATABASE_URL")
	if c.DatabaseURL == "" && c.IsProduction() {
		r.failf("DATABASE_URL is required in production: set it to the PostgreSQL URL, e.g. postgres://user:pass@host:5432/db?sslmode=require")
	}
	c.Schema = r.str("SCHEMA")
	if c.Schema != "" && !validSchema(c.Schema) {
		r.failf("SCHEMA must be letters, digits and underscores, starting with a letter or underscore (at most 63), not %q", c.Schema)
	}
	c.DBMaxConns = r.int("DB_MAX_CONNS", 10, 1, 1000)
}

// readSessions reads the token key and how long a session lasts.
func readSessions(r *reader, c *Config) {
	c.JWTSecret, c.JWTSecretGenerated = jwtSecret(r, c.IsProduction())
	c.JWTExpiresIn = time.Duration(r.int("JWT_EXPIRES_IN", 604800, 1, 10*365*24*3600)) * time.Second
	c.SessionIdleTimeout = r.duration("SESSION_IDLE_TIMEOUT", 24*time.Hour)
	c.EventRetention = r.duration("EVENT_RETENTION", DefaultEventRetention)
}

// DefaultEventRetention is how long security events are kept: long enough for an owner
// to look back on a season, short enough not to keep addresses for ever.
const DefaultEventRetention = 90 * 24 * time.Hour

// jwtSecret reads JWT_SECRET as given (not trimmed: every byte is key). Production needs a
// long one; development makes one up for this process when it is missing.
func jwtSecret(r *reader, production bool) (secret []byte, generated bool) {
	secret = []byte(r.getenv("JWT_SECRET"))
	switch {
	case production && len(secret) == 0:
		r.failf("JWT_SECRET is missing; production needs at least %d random bytes: make one with `openssl rand -base64 48`", MinProductionSecret)
	case production && len(secret) < MinProductionSecret:
		r.failf("JWT_SECRET is %d bytes; production needs at least %d random bytes: make one with `openssl rand -base64 48`", len(secret), MinProductionSecret)
	case !production && len(secret) == 0:
		b := make([]byte, 48)
		if _, err := rand.Read(b); err != nil {
			r.failf("JWT_SECRET: generate one: %v", err)
		}
		return []byte(base64.RawStdEncoding.EncodeToString(b)), true
	}
	return secret, false
}

// readPasswords reads how passwords are hashed and how many hashes may run or wait.
func readPasswords(r *reader, c *Config) {
	c.PasswordHash = strings.ToLower(firstNonEmpty(r.getenv("PASSWORD_HASH"), HashArgon2id))
	if c.PasswordHash != HashArgon2id && c.PasswordHash != HashBcrypt {
		r.failf("PASSWORD_HASH must be argon2id or bcrypt, not %q", c.PasswordHash)
	}
	c.BcryptCost = r.int("BCRYPT_COST", 10, 10, 15)
	c.HashConcurrency = r.int("HASH_CONCURRENCY", runtime.NumCPU(), 1, 1024)
	c.HashQueue = r.int("HASH_QUEUE", 32*runtime.NumCPU(), 0, 100_000)
}

// readClients reads which proxies and origins are trusted and how fast one client may try
// to log in.
func readClients(r *reader, c *Config) {
	c.TrustProxy = r.prefixes("TRUST_PROXY")
	// Browsers send origins with a lower-case scheme and host; match them so.
	c.CORSOrigins = r.list("CORS_ORIGINS", strings.ToLower)
	if len(c.CORSOrigins) == 0 && !c.IsProduction() {
		c.CORSOrigins = []string{"http://localhost:*", "http://127.0.0.1:*"}
	}
	for _, o := range c.CORSOrigins {
		if !validOriginPattern(o) {
			r.failf("CORS_ORIGINS entries must look like https://app.example.com or http://localhost:*, not %q", o)
		}
	}
	c.LoginRatePerMinute = float64(r.int("LOGIN_RATE_PER_MINUTE", 20, 0, 1_000_000))
	c.LoginRateBurst = r.int("LOGIN_RATE_BURST", 30, 1, 1_000_000)
	c.LoginIPv6Prefix = r.int("LOGIN_RATE_IPV6_PREFIX", 64, 32, 128)
}
