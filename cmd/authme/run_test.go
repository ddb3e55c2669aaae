package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"
	"authme/internal/testkit"
)

// envMap is a lookupenv over a fixed map, so tests never see the real environment.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var listeningRE = regexp.MustCompile(`Listening on port (\d+)`)

// startServer runs the real program (run, as main does) on port 0 and returns its base
// URL, its output and a stop function that waits for a clean exit.
func startServer(t *testing.T, env map[string]string) (string, *testkit.Buffer, func() error) {
	t.Helper()
	env["PORT"] = "0"
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out := &testkit.Buffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve"}, envMap(env), pw, pw)
		pw.Close()
		done <- err
	}()
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
	}()
	var stopped bool
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("server did not stop within 15s")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p, out, stop
	case err := <-done:
		t.Fatalf("server exited before listening: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start within 30s:\n%s", out.String())
	}
	return "", nil, nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	t.Run("DevelopmentMigratesSeedsAndServesHello", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "nested", "dev.db")
		url, out, stop := startServer(t, map[string]string{"DB_FILE": file})
		code, body := get(t, url+"/hello/world")
		if code != 200 || body != "Hello World!" {
			t.Fatalf("GET /hello/world = %d %q", code, body)
		}
		if err := stop(); err != nil {
			t.Fatalf("run returned %v", err)
		}
		log := out.String()
		for _, want := range []string{"applied migration 0001_create_users", "seeded the empty database", "JWT_SECRET is not set", "stopped"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		if _, err := os.Stat(file); err != nil {
			t.Errorf("database file not created: %v", err)
		}

		// A second start on the existing database neither migrates nor seeds again.
		url, out, stop = startServer(t, map[string]string{"DB_FILE": file})
		if code, _ := get(t, url+"/hello/world"); code != 200 {
			t.Fatalf("second start: GET /hello/world = %d", code)
		}
		stop()
		if log := out.String(); strings.Contains(log, "applied migration") || strings.Contains(log, "seeded") {
			t.Errorf("second start changed the database:\n%s", log)
		}
	})

	t.Run("HostLimitsTheListener", func(t *testing.T) {
		url, out, stop := startServer(t, map[string]string{"DB_FILE": filepath.Join(t.TempDir(), "dev.db"), "HOST": "127.0.0.1"})
		if code, _ := get(t, url+"/hello/world"); code != 200 {
			t.Fatalf("GET /hello/world = %d", code)
		}
		stop()
		if log := out.String(); !strings.Contains(log, "addr=127.0.0.1:"+strings.TrimPrefix(url, "http://127.0.0.1:")) {
			t.Errorf("the listener is not on 127.0.0.1 alone:\n%s", log)
		}
	})

	t.Run("ProductionRefusesPendingMigrations", func(t *testing.T) {
		tg := testdb.Postgres(t)
		o := tg.Options(t)
		err := run(context.Background(), []string{"serve"}, envMap(map[string]string{
			"APP_ENV": "production", "DATABASE_URL": tg.URL, "SCHEMA": o.Schema, "PORT": "0",
			"JWT_SECRET": strings.Repeat("s", 48),
		}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "authme migrate") {
			t.Fatalf("run = %v, want a refusal naming `authme migrate`", err)
		}
	})

	t.Run("UnreachableDatabaseFailsWithOneLine", func(t *testing.T) {
		err := run(context.Background(), []string{"serve"}, envMap(map[string]string{
			"DATABASE_URL": "postgres://nobody:secretpw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "PORT": "0",
		}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "database connection failure") {
			t.Fatalf("run = %v, want a database connection failure", err)
		}
		if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("error shows the password: %v", err)
		}
	})
}

func TestConfigurationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"BadPort", map[string]string{"PORT": "abc"}, []string{"PORT"}},
		{"HostWithPort", map[string]string{"HOST": "127.0.0.1:8000"}, []string{"HOST", "127.0.0.1:8000"}},
		{"NegativeExpiry", map[string]string{"JWT_EXPIRES_IN": "-5"}, []string{"JWT_EXPIRES_IN"}},
		{"BcryptCostTooHigh", map[string]string{"BCRYPT_COST": "40"}, []string{"BCRYPT_COST"}},
		{"ProductionWithoutDatabaseURL", map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("x", 48)}, []string{"DATABASE_URL"}},
		{"ProductionWithShortSecret", map[string]string{"NODE_ENV": "production", "DATABASE_URL": "postgres://x@127.0.0.1/x", "JWT_SECRET": "short"}, []string{"JWT_SECRET", "openssl rand -base64 48"}},
		{"ProductionWithoutSecret", map[string]string{"APP_ENV": "production", "DATABASE_URL": "postgres://x@127.0.0.1/x"}, []string{"JWT_SECRET", "openssl rand -base64 48"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.env["DB_FILE"] = filepath.Join(t.TempDir(), "x.db")
			err := run(context.Background(), nil, envMap(c.env), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("run succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestMigrateAndSeedCommands(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			o := tg.Options(t)
			env := map[string]string{"DB_FILE": o.File, "DATABASE_URL": o.DatabaseURL, "SCHEMA": o.Schema}
			authme := func(args ...string) string {
				t.Helper()
				var out strings.Builder
				if err := run(context.Background(), args, envMap(env), &out, &out); err != nil {
					t.Fatalf("authme %v: %v\n%s", args, err, out.String())
				}
				return out.String()
			}
			steps := []struct {
				args []string
				want string
			}{
				{[]string{"migrate", "status"}, "0001_create_users                     pending"},
				{[]string{"migrate"}, "applied 0013_passkeys"},
				{[]string{"migrate"}, "no pending migrations"},
				{[]string{"seed"}, "seeded the demo users"},
				{[]string{"seed"}, "already seeded"},
				{[]string{"seed", "down"}, "removed 3 demo users"},
				{[]string{"migrate", "down"}, "undid 0013_passkeys"},
				{[]string{"migrate", "down"}, "undid 0012_second_factors"},
				{[]string{"migrate", "down"}, "undid 0011_users_disabled_at"},
				{[]string{"migrate", "down"}, "undid 0010_create_security_events"},
				{[]string{"migrate", "down"}, "undid 0009_account_tokens"},
				{[]string{"migrate", "down"}, "undid 0008_create_outbox"},
				{[]string{"migrate", "down"}, "undid 0007_login_throttle_reservations"},
				{[]string{"migrate", "down"}, "undid 0006_create_address_throttles"},
				{[]string{"migrate", "down"}, "undid 0005_users_username_key"},
				{[]string{"migrate", "down"}, "undid 0004_create_login_throttles"},
				{[]string{"migrate", "down"}, "undid 0003_create_sessions"},
				{[]string{"migrate", "status"}, "0003_create_sessions                  pending"},
				{[]string{"migrate", "down"}, "undid 0002_users_unique_ignoring_case"},
				{[]string{"migrate", "down"}, "undid 0001_create_users"},
				{[]string{"migrate", "down"}, "no migration to undo"},
				{[]string{"migrate"}, "applied 0001_create_users"},
			}
			for _, s := range steps {
				if got := authme(s.args...); !strings.Contains(got, s.want) {
					t.Fatalf("authme %v printed %q, want it to contain %q", s.args, got, s.want)
				}
			}
		})
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"frobnicate"}, envMap(map[string]string{}), io.Discard, io.Discard)
	if _, ok := err.(usageError); !ok {
		t.Fatalf("run = %v, want a usage error", err)
	}
}
