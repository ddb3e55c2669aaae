// Package config loads authme's configuration from the environment.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
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
	Port         int           // PORT
	DBFile       string        // DB_FILE: the SQLite file, used when DatabaseURL is empty
	DatabaseURL  string        // DATABASE_URL: PostgreSQL; required in production
	Schema       string        // SCHEMA: PostgreSQL schema holding every table
	JWTSecret    []byte        // JWT_SECRET
	JWTExpiresIn time.Duration // JWT_EXPIRES_IN, given in seconds
	PasswordHash string        // PASSWORD_HASH: argon2id or bcrypt
	BcryptCost   int           // BCRYPT_COST: 10–15

	// JWTSecretGenerated is true when development made up a secret for this process.
	JWTSecretGenerated bool
}

// IsProduction reports whether authme runs with production defaults.
func (c Config) IsProduction() bool { return c.Env == Production }

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
