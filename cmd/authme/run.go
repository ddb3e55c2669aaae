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
  users list [--query TEXT] [--limit N]
                      list accounts (username or email containing TEXT)
  users show ACCOUNT  an account: state, sessions, throttle, recent events
  users disable ACCOUNT / users enable ACCOUNT
                      stop (and allow again) log-ins; disabling ends every session
  users unlock ACCOUNT
                      clear the account's log-in throttle
  users set-password ACCOUNT
                      set the password read from standard input; ends every session
  users delete ACCOUNT [--yes]
                      delete the account and all authme keeps of it (asks first)
  users reset-second-factor ACCOUNT
                      remove the account's second factor (app lost, recovery codes
                      too); ends every session
  sessions list ACCOUNT
  sessions end ACCOUNT [ID]
                      end one session of the account, or all of them
  passkeys list ACCOUNT
  passkeys remove ACCOUNT ID
                      remove a passkey (its device lost); ends every session
  purge               delete expired sessions and tokens, old events, sent mail
  keys rotate         seal every second-factor secret under the first ENCRYPTION_KEY
  help                show this text

ACCOUNT is a username, an email address or an id. The operator commands print a table,
or JSON with --json.

configuration comes from the environment and ./.env; see README.md.
`

// usageError is a command-line mistake: main prints the usage after it.
type usageError string

func (e usageError) Error() string { return string(e) }

// env holds what every command shares.
type env struct {
	cfg    config.Config
	log    *slog.Logger
	stdin  io.Reader // nil: nothing to read, and not a terminal
	stdout io.Writer
	stderr io.Writer
}

// run is the whole program with nothing on standard input, so tests can start it
// exactly as main does.
func run(ctx context.Context, args []string, lookupenv func(string) (string, bool), stdout, stderr io.Writer) error {
	return runWithInput(ctx, args, lookupenv, nil, stdout, stderr)
}

// runWithInput is run reading stdin: the operator's commands read a password or an
// answer there.
func runWithInput(ctx context.Context, args []string, lookupenv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) error {
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
	e := env{cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr, log: logging.New(stdout, cfg.IsProduction(), cfg.LogLevel)}
	switch cmd {
	case "users", "sessions", "purge", "keys", "passkeys":
		// Their output is for people and scripts: the log goes to stderr.
		e.log = logging.New(stderr, cfg.IsProduction(), cfg.LogLevel)
		return e.operator(ctx, cmd, rest)
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
