package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"authme/internal/config"
)

// lookupFrom returns a lookup func like os.LookupEnv over m.
func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeDotenv(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWithDotenv(t *testing.T) {
	t.Parallel()

	// The seed's .env (tutorial step 7), with a comment and quoting as people write it.
	const seedEnv = `# backend/.env
PORT=8000
DB_FILE=db/dev.db
JWT_SECRET="from-the-file"
JWT_EXPIRES_IN=604800
SCHEMA=your_schema_name_here
`

	t.Run("FileIsRead", func(t *testing.T) {
		t.Parallel()
		getenv, err := config.WithDotenv(lookupFrom(nil), writeDotenv(t, seedEnv))
		if err != nil {
			t.Fatalf("WithDotenv: %v", err)
		}
		want := map[string]string{
			"PORT": "8000", "DB_FILE": "db/dev.db", "JWT_SECRET": "from-the-file",
			"JWT_EXPIRES_IN": "604800", "SCHEMA": "your_schema_name_here", "NOT_SET": "",
		}
		for k, v := range want {
			if got := getenv(k); got != v {
				t.Errorf("getenv(%q) = %q, want %q", k, got, v)
			}
		}
	})

	t.Run("RealEnvironmentWins", func(t *testing.T) {
		t.Parallel()
		osEnv := map[string]string{"PORT": "9999", "JWT_SECRET": "from-the-environment"}
		getenv, err := config.WithDotenv(lookupFrom(osEnv), writeDotenv(t, seedEnv))
		if err != nil {
			t.Fatalf("WithDotenv: %v", err)
		}
		for k, v := range map[string]string{"PORT": "9999", "JWT_SECRET": "from-the-environment", "DB_FILE": "db/dev.db"} {
			if got := getenv(k); got != v {
				t.Errorf("getenv(%q) = %q, want %q", k, got, v)
			}
		}
	})

	t.Run("SetButEmptyInEnvironmentWins", func(t *testing.T) {
		t.Parallel()
		// An exported empty variable is a deliberate choice; the file must not fill it in.
		getenv, err := config.WithDotenv(lookupFrom(map[string]string{"SCHEMA": ""}), writeDotenv(t, seedEnv))
		if err != nil {
			t.Fatalf("WithDotenv: %v", err)
		}
		if got := getenv("SCHEMA"); got != "" {
			t.Errorf("getenv(SCHEMA) = %q, want the environment's empty value", got)
		}
	})

	t.Run("MissingFileIsFine", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "no-such", ".env")
		getenv, err := config.WithDotenv(lookupFrom(map[string]string{"PORT": "1234"}), path)
		if err != nil {
			t.Fatalf("WithDotenv(missing file): %v", err)
		}
		if getenv("PORT") != "1234" || getenv("DB_FILE") != "" {
			t.Errorf("getenv(PORT, DB_FILE) = %q, %q; want 1234 and empty", getenv("PORT"), getenv("DB_FILE"))
		}
	})

	t.Run("UnreadableFileIsAnError", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir() // a folder where the file should be cannot be read as one
		if _, err := config.WithDotenv(lookupFrom(nil), dir); err == nil {
			t.Error("WithDotenv(folder) = nil error, want one")
		}
	})

	t.Run("FeedsLoad", func(t *testing.T) {
		t.Parallel()
		getenv, err := config.WithDotenv(lookupFrom(map[string]string{"PORT": "8100"}), writeDotenv(t, "PORT=1\nJWT_EXPIRES_IN=60\n"))
		if err != nil {
			t.Fatalf("WithDotenv: %v", err)
		}
		c, err := config.Load(getenv)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Port != 8100 || c.JWTExpiresIn.Seconds() != 60 {
			t.Errorf("Port = %d, JWTExpiresIn = %v; want 8100 and 60s", c.Port, c.JWTExpiresIn)
		}
	})
}
