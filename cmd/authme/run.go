package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"authme/internal/auth"
	"authme/internal/config"
	"authme/internal/logging"
	"authme/internal/password"
	"authme/internal/store"
)

const usage = `usage: authme [command]

commands:
  serve [--migrate]   run the server (the default); --migrate applies pending migrations first
  migrate             apply pending migrations (creates SCHEMA when set)
  migrate down        undo the newest migration
  migrate status      list migrations and whether each is applied
  seed                insert the demo users (once)
  seed down           remove the demo users
  help                show this text

configuration comes from the environment and ./.env; see README.md.
`

// usageError is a command-line mistake: main prints the usage after it.
type usageError string

func (e usageError) Error() string { return string(e) }

// env holds what every command shares.
type env struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer
}

// run is the whole program, so tests can start it exactly as main does.
func run(ctx context.Context, args []string, lookupenv func(string) (string, bool), stdout, stderr io.Writer) error {
	getenv, err := config.WithDotenv(lookupenv, ".env")
	if err != nil {
		return err
	}
	cmd, rest := "serve", args
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	e := env{cfg: cfg, stdout: stdout, log: logging.New(stdout, cfg.IsProduction(), cfg.LogLevel)}
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "migrate":
		return e.migrate(ctx, rest)
	case "seed":
		return e.seed(ctx, rest)
	}
	return usageError(fmt.Sprintf("unknown command %q", cmd))
}

// openStore opens the configured database, failing with one clear line.
func (e env) openStore(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{DatabaseURL: e.cfg.DatabaseURL, File: e.cfg.DBFile, Schema: e.cfg.Schema, MaxConns: e.cfg.DBMaxConns, EventLog: e.log})
	if err != nil {
		return nil, fmt.Errorf("database connection failure: %w", err)
	}
	return db, nil
}

// hasher returns the configured password hasher.
func (e env) hasher() *password.Hasher {
	if e.cfg.PasswordHash == config.HashBcrypt {
		return password.NewBcrypt(e.cfg.BcryptCost)
	}
	return password.NewArgon2id(password.OWASP)
}

var _ auth.PasswordHasher = (*password.Hasher)(nil)
