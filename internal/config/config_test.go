package config_test

import (
	"strings"
	"testing"
	"time"

	"authme/internal/config"
)

// env returns a getenv answering from m, as os.Getenv would for an environment holding m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	t.Parallel()

	t.Run("DefaultsMatchTheSeed", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(nil))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Port != 8000 {
			t.Errorf("Port = %d, want 8000", c.Port)
		}
		if c.DBFile != "db/dev.db" {
			t.Errorf("DBFile = %q, want db/dev.db", c.DBFile)
		}
		if c.JWTExpiresIn != 604800*time.Second {
			t.Errorf("JWTExpiresIn = %v, want 604800s", c.JWTExpiresIn)
		}
		if c.PasswordHash != config.HashArgon2id {
			t.Errorf("PasswordHash = %q, want %q", c.PasswordHash, config.HashArgon2id)
		}
		if c.BcryptCost != 10 {
			t.Errorf("BcryptCost = %d, want 10", c.BcryptCost)
		}
		if c.Env != config.Development || c.IsProduction() {
			t.Errorf("Env = %q (IsProduction %v), want development", c.Env, c.IsProduction())
		}
		if c.UsesPostgres() || c.DatabaseURL != "" || c.Schema != "" {
			t.Errorf("DatabaseURL = %q, Schema = %q; want both empty (SQLite)", c.DatabaseURL, c.Schema)
		}
		if !c.JWTSecretGenerated {
			t.Error("JWTSecretGenerated = false with no JWT_SECRET, want true")
		}
		if len(c.JWTSecret) < config.MinProductionSecret {
			t.Errorf("generated JWT secret is %d bytes, want at least %d", len(c.JWTSecret), config.MinProductionSecret)
		}
	})

	t.Run("GeneratedSecretsDiffer", func(t *testing.T) {
		t.Parallel()
		a, errA := config.Load(env(nil))
		b, errB := config.Load(env(nil))
		if errA != nil || errB != nil {
			t.Fatalf("Load: %v, %v", errA, errB)
		}
		if string(a.JWTSecret) == string(b.JWTSecret) {
			t.Error("two loads generated the same JWT secret")
		}
	})

	t.Run("GivenSecretIsKeptAndNotFlagged", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{"JWT_SECRET": "short-dev-secret"}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if string(c.JWTSecret) != "short-dev-secret" || c.JWTSecretGenerated {
			t.Errorf("JWTSecret = %q, generated %v; want the given one, not generated", c.JWTSecret, c.JWTSecretGenerated)
		}
	})

	t.Run("ValuesAreRead", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{
			"PORT":           "9001",
			"DB_FILE":        "/tmp/x.db",
			"JWT_EXPIRES_IN": "60",
			"PASSWORD_HASH":  "BCRYPT",
			"BCRYPT_COST":    "12",
			"SCHEMA":         "authenticate_me",
			"DATABASE_URL":   "postgres://u@h/db",
		}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Port != 9001 || c.DBFile != "/tmp/x.db" || c.JWTExpiresIn != time.Minute ||
			c.PasswordHash != config.HashBcrypt || c.BcryptCost != 12 || c.Schema != "authenticate_me" ||
			!c.UsesPostgres() {
			t.Errorf("Load = %+v; want every given value", c)
		}
	})

	t.Run("HostDefaultsToEveryInterface", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(nil))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Host != "" || c.ListenAddr() != ":8000" {
			t.Errorf("Host = %q, ListenAddr = %q; want every interface, :8000", c.Host, c.ListenAddr())
		}
	})

	t.Run("HostNamesTheListeningAddress", func(t *testing.T) {
		t.Parallel()
		for host, want := range map[string]string{
			"127.0.0.1":   "127.0.0.1:9001",
			" 10.0.0.5 ":  "10.0.0.5:9001",
			"::1":         "[::1]:9001",
			"[::1]":       "[::1]:9001",
			"0.0.0.0":     "0.0.0.0:9001",
			"localhost":   "localhost:9001",
			"api.example": "api.example:9001",
		} {
			c, err := config.Load(env(map[string]string{"HOST": host, "PORT": "9001"}))
			if err != nil {
				t.Errorf("HOST=%q: %v", host, err)
				continue
			}
			if got := c.ListenAddr(); got != want {
				t.Errorf("HOST=%q: ListenAddr = %q, want %q", host, got, want)
			}
		}
	})

	t.Run("AppEnvWinsOverNodeEnv", func(t *testing.T) {
		t.Parallel()
		// NODE_ENV=production alone would refuse to start without DATABASE_URL.
		c, err := config.Load(env(map[string]string{"APP_ENV": "test", "NODE_ENV": "production"}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Env != config.Test {
			t.Errorf("Env = %q, want test", c.Env)
		}
	})

	t.Run("NodeEnvUsedWithoutAppEnv", func(t *testing.T) {
		t.Parallel()
		c, err := config.Load(env(map[string]string{"NODE_ENV": "test"}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Env != config.Test {
			t.Errorf("Env = %q, want test", c.Env)
		}
	})
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		mention []string // every one must appear in the error
	}{
		{"PortNotANumberNamesPORT", map[string]string{"PORT": "abc"}, []string{"PORT", `"abc"`}},
		{"PortTooBigNamesPORT", map[string]string{"PORT": "70000"}, []string{"PORT"}},
		{"NegativeExpiryNamesJWT_EXPIRES_IN", map[string]string{"JWT_EXPIRES_IN": "-5"}, []string{"JWT_EXPIRES_IN", "-5"}},
		{"ZeroExpiryNamesJWT_EXPIRES_IN", map[string]string{"JWT_EXPIRES_IN": "0"}, []string{"JWT_EXPIRES_IN"}},
		{"BcryptCost40NamesBCRYPT_COST", map[string]string{"BCRYPT_COST": "40"}, []string{"BCRYPT_COST", "40"}},
		{"BcryptCost4NamesBCRYPT_COST", map[string]string{"BCRYPT_COST": "4"}, []string{"BCRYPT_COST"}},
		{"Md5NamesPASSWORD_HASH", map[string]string{"PASSWORD_HASH": "md5"}, []string{"PASSWORD_HASH", "md5"}},
		{"SchemaWithQuoteNamesSCHEMA", map[string]string{"SCHEMA": `a"; DROP TABLE x; --`}, []string{"SCHEMA"}},
		{"SchemaStartingWithDigitNamesSCHEMA", map[string]string{"SCHEMA": "1abc"}, []string{"SCHEMA"}},
		{"SchemaWithDashNamesSCHEMA", map[string]string{"SCHEMA": "authenticate-me"}, []string{"SCHEMA"}},
		{"SchemaTooLongNamesSCHEMA", map[string]string{"SCHEMA": strings.Repeat("s", 64)}, []string{"SCHEMA"}},
		{"UnknownEnvNamesAPP_ENV", map[string]string{"APP_ENV": "staging"}, []string{"APP_ENV", "staging"}},
		{"EveryProblemIsReported", map[string]string{"PORT": "abc", "BCRYPT_COST": "40"}, []string{"PORT", "BCRYPT_COST"}},
		{"HostWithPortNamesHOST", map[string]string{"HOST": "127.0.0.1:8000"}, []string{"HOST", `"127.0.0.1:8000"`}},
		{"HostURLNamesHOST", map[string]string{"HOST": "http://localhost"}, []string{"HOST", `"http://localhost"`}},
		{"HostWithSpaceNamesHOST", map[string]string{"HOST": "local host"}, []string{"HOST"}},
		{"HostBadAddressNamesHOST", map[string]string{"HOST": "10.0.0.300"}, []string{"HOST"}},
		{"HostLabelTooLongNamesHOST", map[string]string{"HOST": strings.Repeat("h", 64) + ".example"}, []string{"HOST"}},
		{"HostEmptyLabelNamesHOST", map[string]string{"HOST": "app..example"}, []string{"HOST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tt.env))
			if err == nil {
				t.Fatalf("Load(%v) = %+v, nil; want an error", tt.env, c)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestLoadProduction(t *testing.T) {
	t.Parallel()
	const url = "postgres://app:pw@db.internal:5432/authme?sslmode=require"
	goodSecret := strings.Repeat("k", config.MinProductionSecret)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // empty: Load must succeed
	}{
		{"NoDatabaseURLIsRefused",
			map[string]string{"NODE_ENV": "production", "JWT_SECRET": goodSecret},
			[]string{"DATABASE_URL"}},
		{"NoSecretIsRefused",
			map[string]string{"NODE_ENV": "production", "DATABASE_URL": url},
			[]string{"JWT_SECRET", "openssl rand -base64 48"}},
		{"ShortSecretIsRefused",
			map[string]string{"APP_ENV": "production", "DATABASE_URL": url, "JWT_SECRET": goodSecret[1:]},
			[]string{"JWT_SECRET", "31 bytes", "openssl rand -base64 48"}},
		{"BothMissingNamesBoth",
			map[string]string{"NODE_ENV": "production"},
			[]string{"DATABASE_URL", "JWT_SECRET", "openssl rand -base64 48"}},
		{"DatabaseURLAndLongSecretPass",
			map[string]string{"NODE_ENV": "production", "DATABASE_URL": url, "JWT_SECRET": goodSecret},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(tt.env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if !c.IsProduction() || !c.UsesPostgres() || c.JWTSecretGenerated || string(c.JWTSecret) != goodSecret {
					t.Errorf("Load = %+v; want production on PostgreSQL with the given secret", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load = %+v, nil; want an error", c)
			}
			for _, m := range tt.wantErr {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error %q leaks the database password", err)
			}
			if sec := tt.env["JWT_SECRET"]; sec != "" && strings.Contains(err.Error(), sec) {
				t.Errorf("error %q leaks the JWT secret", err)
			}
		})
	}
}
