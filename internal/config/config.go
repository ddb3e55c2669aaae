// Package config loads authme's configuration from the environment.
package config

import (
	"authme/internal/mfa"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"authme/internal/mail"
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
	EventRetention     time.Duration  // EVENT_RETENTION: security events older than this are purged
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

	SMTP                 mail.SMTPConfig // SMTP_URL parsed; zero when unset (prints without the password)
	MailFrom             string          // MAIL_FROM: the From of every mail
	PublicURL            string          // PUBLIC_URL: the base of every link in mail, no trailing slash
	ResetTokenTTL        time.Duration   // RESET_TOKEN_TTL: how long a password-reset link works
	RequireVerifiedEmail bool            // REQUIRE_VERIFIED_EMAIL: refuse log-in until the email is verified

	// EncryptionKeys seals second-factor secrets (ENCRYPTION_KEY); nil when unset.
	EncryptionKeys *mfa.Keyring
	TOTPIssuer     string // TOTP_ISSUER: the name authenticator apps show
	// WebAuthnRPID and WebAuthnOrigins are the passkeys' relying party; PasskeysOff says
	// why passkeys are off when they are (the others are empty then).
	WebAuthnRPID    string
	WebAuthnOrigins []string
	PasskeysOff     string

	// JWTSecretGenerated is true when development made up a secret for this process.
	JWTSecretGenerated bool
}

// IsProduction reports whether authme runs with production defaults.
func (c Config) IsProduction() bool { return c.Env == Production }

// ListenAddr is the host:port the public server listens on.
func (c Config) ListenAddr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// UsesPostgres reports whether the database is PostgreSQL (DATABASE_URL set) rather than SQLite.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// Load reads the configuration through getenv and validates it. Every problem is reported,
// not just the first: the error holds one line per bad setting, each naming its variable.
//
// Not github.com/caarlos0/env: tried on this Config, it saved 15 of 329 lines and left Load
// at 93. Its parsers are chosen by Go type, so each range (PORT 0–65535, BCRYPT_COST 10–15, …)
// still needed a check after parsing, and a bad PORT read "parse error on field "Port" of type
// "int": strconv.ParseInt: …" or a range message depending on how it was bad, until mapped
// back to the variable and reworded. Its defaults are fixed strings, so those that depend on
// APP_ENV or the CPU count, the NODE_ENV fallback and the generated secret stayed code, and
// trimming, space-or-comma lists and bare addresses in TRUST_PROXY needed custom parsers.
// The readers in reader.go do each kind of value in one place instead.
func Load(getenv func(string) string) (Config, error) {
	r := &reader{getenv: getenv}
	var c Config
	readServer(r, &c) // first: the other groups' defaults and rules depend on APP_ENV
	readDatabase(r, &c)
	readSessions(r, &c)
	readPasswords(r, &c)
	readClients(r, &c)
	readMail(r, &c) // after readServer: PUBLIC_URL's default holds PORT
	readSecondFactors(r, &c)
	readPasskeys(r, &c) // after readMail: the defaults come from PUBLIC_URL
	if len(r.errs) > 0 {
		return Config{}, errors.Join(r.errs...)
	}
	return c, nil
}
