// Package config loads authme's configuration from the environment.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Environments authme knows. Only production changes behaviour; test behaves like development.
const (
	Development = "development"
	Test        = "test"
	Production  = "production"
)

// Password hashing algorithms for new hashes.
const (
	HashArgon2id = "argon2id"
	HashBcrypt   = "bcrypt"
)

// MinProductionSecret is the shortest JWT_SECRET production accepts, in bytes.
const MinProductionSecret = 32

// Config is every setting authme reads at start-up.
type Config struct {
	Env          string        // APP_ENV, else NODE_ENV, else development
	Host         string        // HOST: the address to listen on; "" = every interface
	Port         int           // PORT
	DBFile       string        // DB_FILE: the SQLite file, used when DatabaseURL is empty
	DatabaseURL  string        // DATABASE_URL: PostgreSQL; required in production
	Schema       string        // SCHEMA: PostgreSQL schema holding every table
	JWTSecret    []byte        // JWT_SECRET
	JWTExpiresIn time.Duration // JWT_EXPIRES_IN, given in seconds
	PasswordHash string        // PASSWORD_HASH: argon2id or bcrypt
	BcryptCost   int           // BCRYPT_COST: 10–15

	SessionIdleTimeout time.Duration  // SESSION_IDLE_TIMEOUT: a session unused this long ends
	TrustProxy         []netip.Prefix // TRUST_PROXY: proxies whose X-Forwarded-For is believed
	CORSOrigins        []string       // CORS_ORIGINS: trusted origins (patterns may end in :*)
	LoginRatePerMinute float64        // LOGIN_RATE_PER_MINUTE: per-address refill; 0 disables
	LoginRateBurst     int            // LOGIN_RATE_BURST: per-address bucket size
	LoginIPv6Prefix    int            // LOGIN_RATE_IPV6_PREFIX: IPv6 bits that name one client's bucket
	DBMaxConns         int            // DB_MAX_CONNS: connection pool size
	HashConcurrency    int            // HASH_CONCURRENCY: password hashes at once
	HashQueue          int            // HASH_QUEUE: log-ins waiting for a hash slot
	MetricsAddr        string         // METRICS_ADDR: where /metrics and pprof listen; "" = off
	LogLevel           slog.Level     // LOG_LEVEL: debug, info, warn or error

	// JWTSecretGenerated is true when development made up a secret for this process.
	JWTSecretGenerated bool
}

// IsProduction reports whether authme runs with production defaults.
func (c Config) IsProduction() bool { return c.Env == Production }

// ListenAddr is the host:port the public server listens on.
func (c Config) ListenAddr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// UsesPostgres reports whether the database is PostgreSQL (DATABASE_URL set) rather than SQLite.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// Load reads the configuration through getenv and validates it. Every error names the
// variable at fault and is meant to be printed as one line.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Env:          firstNonEmpty(getenv("APP_ENV"), getenv("NODE_ENV"), Development),
		DBFile:       firstNonEmpty(getenv("DB_FILE"), "db/dev.db"),
		DatabaseURL:  strings.TrimSpace(getenv("DATABASE_URL")),
		Schema:       strings.TrimSpace(getenv("SCHEMA")),
		PasswordHash: strings.ToLower(firstNonEmpty(getenv("PASSWORD_HASH"), HashArgon2id)),
	}
	var errs []error
	switch c.Env {
	case Development, Test, Production:
	default:
		errs = append(errs, fmt.Errorf("APP_ENV must be development, test or production, not %q", c.Env))
	}

	var err error
	if c.Host, err = hostVar(getenv, "HOST"); err != nil {
		errs = append(errs, err)
	}
	if c.Port, err = intVar(getenv, "PORT", 8000, 0, 65535); err != nil {
		errs = append(errs, err)
	}
	secs, err := intVar(getenv, "JWT_EXPIRES_IN", 604800, 1, 10*365*24*3600)
	if err != nil {
		errs = append(errs, err)
	}
	c.JWTExpiresIn = time.Duration(secs) * time.Second
	if c.BcryptCost, err = intVar(getenv, "BCRYPT_COST", 10, 10, 15); err != nil {
		errs = append(errs, err)
	}
	if c.PasswordHash != HashArgon2id && c.PasswordHash != HashBcrypt {
		errs = append(errs, fmt.Errorf("PASSWORD_HASH must be argon2id or bcrypt, not %q", c.PasswordHash))
	}
	if c.Schema != "" && !validSchema(c.Schema) {
		errs = append(errs, fmt.Errorf("SCHEMA must be letters, digits and underscores, starting with a letter or underscore (at most 63), not %q", c.Schema))
	}

	if c.SessionIdleTimeout, err = durationVar(getenv, "SESSION_IDLE_TIMEOUT", 24*time.Hour); err != nil {
		errs = append(errs, err)
	}
	if c.TrustProxy, err = prefixesVar(getenv, "TRUST_PROXY"); err != nil {
		errs = append(errs, err)
	}
	// Browsers send origins with a lower-case scheme and host; match them so.
	c.CORSOrigins = listVar(strings.ToLower, getenv, "CORS_ORIGINS")
	if len(c.CORSOrigins) == 0 && c.Env != Production {
		c.CORSOrigins = []string{"http://localhost:*", "http://127.0.0.1:*"}
	}
	for _, o := range c.CORSOrigins {
		if !validOriginPattern(o) {
			errs = append(errs, fmt.Errorf("CORS_ORIGINS entries must look like https://app.example.com or http://localhost:*, not %q", o))
		}
	}
	rate, err := intVar(getenv, "LOGIN_RATE_PER_MINUTE", 20, 0, 1_000_000)
	if err != nil {
		errs = append(errs, err)
	}
	c.LoginRatePerMinute = float64(rate)
	if c.LoginRateBurst, err = intVar(getenv, "LOGIN_RATE_BURST", 30, 1, 1_000_000); err != nil {
		errs = append(errs, err)
	}
	if c.LoginIPv6Prefix, err = intVar(getenv, "LOGIN_RATE_IPV6_PREFIX", 64, 32, 128); err != nil {
		errs = append(errs, err)
	}
	if c.DBMaxConns, err = intVar(getenv, "DB_MAX_CONNS", 10, 1, 1000); err != nil {
		errs = append(errs, err)
	}
	if c.HashConcurrency, err = intVar(getenv, "HASH_CONCURRENCY", runtime.NumCPU(), 1, 1024); err != nil {
		errs = append(errs, err)
	}
	if c.HashQueue, err = intVar(getenv, "HASH_QUEUE", 32*runtime.NumCPU(), 0, 100_000); err != nil {
		errs = append(errs, err)
	}
	c.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR"))
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("METRICS_ADDR must be host:port (e.g. 127.0.0.1:9090), not %q", c.MetricsAddr))
		}
	}
	if lvl := strings.TrimSpace(getenv("LOG_LEVEL")); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", lvl))
		}
	}

	c.JWTSecret = []byte(getenv("JWT_SECRET"))
	if c.IsProduction() {
		if c.DatabaseURL == "" {
			errs = append(errs, errors.New("DATABASE_URL is required in production: set it to the PostgreSQL URL, e.g. postgres://user:pass@host:5432/db?sslmode=require"))
		}
		if len(c.JWTSecret) < MinProductionSecret {
			what := "is missing"
			if len(c.JWTSecret) > 0 {
				what = fmt.Sprintf("is %d bytes", len(c.JWTSecret))
			}
			errs = append(errs, fmt.Errorf("JWT_SECRET %s; production needs at least %d random bytes: make one with `openssl rand -base64 48`", what, MinProductionSecret))
		}
	} else if len(c.JWTSecret) == 0 {
		c.JWTSecret, err = randomSecret()
		if err != nil {
			errs = append(errs, err)
		}
		c.JWTSecretGenerated = true
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

func intVar(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d, not %q", name, lo, hi, s)
	}
	return n, nil
}

// hostVar reads an IP address (IPv6 with or without brackets) or a host name to listen
// on, without a port; "" means every interface.
func hostVar(getenv func(string) string, name string) (string, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return "", nil
	}
	bare := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		bare = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(bare); err == nil {
		return a.String(), nil
	}
	if bare == s && validHostName(s) {
		return s, nil
	}
	return "", fmt.Errorf("%s must be an IP address or a host name to listen on, without a port (e.g. 127.0.0.1, ::1 or localhost), not %q", name, s)
}

// validHostName accepts a DNS name: dot-separated labels of letters, digits and
// hyphens, 1 to 63 long, not starting or ending with a hyphen, 253 at most in all. A
// name of digits and dots alone is a mistyped address, not a name.
func validHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	letter := false
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				letter = true
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return letter
}

// durationVar reads whole seconds ("86400") or a Go duration ("24h").
func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("%s must be seconds or a duration such as 24h, at least 1s, not %q", name, s)
	}
	return d, nil
}

// listVar splits a comma- or space-separated list, passing each entry through norm.
func listVar(norm func(string) string, getenv func(string) string, name string) []string {
	out := strings.FieldsFunc(getenv(name), func(r rune) bool { return r == ',' || r == ' ' })
	for i := range out {
		out[i] = norm(out[i])
	}
	return out
}

// prefixesVar reads addresses and CIDRs.
func prefixesVar(getenv func(string) string, name string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range listVar(strings.TrimSpace, getenv, name) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%s must list IP addresses or CIDRs (10.0.0.0/8), not %q", name, f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// validOriginPattern accepts scheme://host[:port] with an optional :* port wildcard;
// no other wildcard (a host pattern like *.example.com would never match).
func validOriginPattern(o string) bool {
	rest, ok := strings.CutSuffix(o, ":*")
	u, err := url.Parse(rest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" ||
		u.RawQuery != "" || u.User != nil || strings.Contains(u.Host, "*") {
		return false
	}
	return !ok || u.Port() == ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// validSchema keeps SCHEMA a plain identifier, since it is spliced into DDL and search_path.
func validSchema(s string) bool {
	if len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func randomSecret() ([]byte, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate JWT_SECRET: %w", err)
	}
	return []byte(base64.RawStdEncoding.EncodeToString(b)), nil
}
