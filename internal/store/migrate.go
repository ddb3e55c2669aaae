package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one embedded schema change with its undo.
type Migration struct {
	Version int
	Name    string
	up      string
	down    string
}

// MigrationState is a migration and whether and when it was applied.
type MigrationState struct {
	Migration
	Applied   bool
	AppliedAt time.Time
	Adopted   bool // recorded as done because an Express-made table was already there
	// Notes are what the operator should know about rows the migration kept as they
	// were (users whose names look alike, for 0005).
	Notes []string
}

// adoptable maps a migration to the table whose presence means it already ran: a database
// made by the Express app's sequelize-cli has "Users" without authme's ledger.
var adoptable = map[int]string{1: "Users"}

const ledgerDDL = `CREATE TABLE IF NOT EXISTS "AuthmeMigrations" (
  "version" INTEGER PRIMARY KEY,
  "name" VARCHAR(255) NOT NULL,
  "appliedAt" BIGINT NOT NULL,
  "adopted" INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS "AuthmeSeeds" (
  "name" VARCHAR(255) PRIMARY KEY,
  "appliedAt" BIGINT NOT NULL
);`

// Migrations lists the migrations embedded for this database's dialect, oldest first.
func (db *DB) Migrations() ([]Migration, error) {
	dir := "migrations/" + db.d.name
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		base, direction, _ := strings.Cut(name, ".")
		num, title, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration file %s: no version number", e.Name())
		}
		body, err := migrationFiles.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: title}
			byVersion[v] = m
		}
		switch direction {
		case "up":
			m.up = string(body)
		case "down":
			m.down = string(body)
		default:
			return nil, fmt.Errorf("migration file %s: want .up.sql or .down.sql", e.Name())
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("migration %04d_%s: needs both an up and a down file", m.Version, m.Name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// prepareSchema creates the schema (the seed's psql-setup-script) and the ledger tables.
func (db *DB) prepareSchema(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.schema != "" {
			if _, err := tx.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+quoteIdent(db.schema)); err != nil {
				return fmt.Errorf("create schema %s: %w", db.schema, err)
			}
		}
		if _, err := tx.ExecContext(ctx, ledgerDDL); err != nil {
			return fmt.Errorf("create migration ledger: %w", err)
		}
		return nil
	})
}

// MigrationStatus lists every migration with whether it has been applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	all, err := db.Migrations()
	if err != nil {
		return nil, err
	}
	applied, err := db.appliedMigrations(ctx, db.sql)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationState, len(all))
	for i, m := range all {
		out[i] = MigrationState{Migration: m}
		if a, ok := applied[m.Version]; ok {
			out[i].Applied, out[i].AppliedAt, out[i].Adopted = true, a.AppliedAt, a.Adopted
		}
	}
	return out, nil
}

// PendingMigrations counts migrations not yet applied.
func (db *DB) PendingMigrations(ctx context.Context) (int, error) {
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if !s.Applied {
			n++
		}
	}
	return n, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (db *DB) appliedMigrations(ctx context.Context, q querier) (map[int]MigrationState, error) {
	var n int
	if err := q.QueryRowContext(ctx, db.d.tableExists, "AuthmeMigrations").Scan(&n); err != nil {
		return nil, fmt.Errorf("look for migration ledger: %w", err)
	}
	out := map[int]MigrationState{}
	if n == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT "version", "appliedAt", "adopted" FROM "AuthmeMigrations"`)
	if err != nil {
		return nil, fmt.Errorf("read migration ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var at, adopted int64
		if err := rows.Scan(&v, &at, &adopted); err != nil {
			return nil, fmt.Errorf("read migration ledger: %w", err)
		}
		out[v] = MigrationState{Applied: true, AppliedAt: time.Unix(at, 0), Adopted: adopted != 0}
	}
	return out, rows.Err()
}

// Migrate applies every pending migration, each in its own transaction, and returns the
// ones it applied. Migrations whose table an Express-made database already has are
// recorded as adopted instead of run.
func (db *DB) Migrate(ctx context.Context) ([]MigrationState, error) {
	if err := db.prepareSchema(ctx); err != nil {
		return nil, err
	}
	all, err := db.Migrations()
	if err != nil {
		return nil, err
	}
	var done []MigrationState
	for _, m := range all {
		st, err := db.applyUp(ctx, m)
		if err != nil {
			return done, err
		}
		if st.Applied {
			done = append(done, st)
		}
	}
	// Username keys are computed in Go, so no SQL migration can fill them.
	collisions, err := db.FillUsernameKeys(ctx)
	for i := range done {
		if done[i].Version == usernameKeyMigration {
			for _, c := range collisions {
				done[i].Notes = append(done[i].Notes, c.String())
			}
		}
	}
	if err != nil {
		return done, fmt.Errorf("fill username keys: %w", err)
	}
	return done, nil
}

// usernameKeyMigration adds "Users"."usernameKey", which Migrate fills after it.
const usernameKeyMigration = 5

// applyUp runs one migration unless another process already did; the returned state has
// Applied set only when this call applied it.
func (db *DB) applyUp(ctx context.Context, m Migration) (MigrationState, error) {
	st := MigrationState{Migration: m}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		applied, err := db.appliedMigrations(ctx, tx)
		if err != nil {
			return err
		}
		if _, ok := applied[m.Version]; ok {
			return nil
		}
		if table, ok := adoptable[m.Version]; ok {
			var n int
			if err := tx.QueryRowContext(ctx, db.d.tableExists, table).Scan(&n); err != nil {
				return fmt.Errorf("look for table %s: %w", table, err)
			}
			st.Adopted = n > 0
		}
		if !st.Adopted {
			if _, err := tx.ExecContext(ctx, m.up); err != nil {
				if _, dup := db.d.uniqueViolation(err); dup {
					return fmt.Errorf("existing rows break a new unique rule (two users' usernames or emails differ only in case?); fix them and run again: %w", err)
				}
				return err
			}
		}
		st.Applied, st.AppliedAt = true, time.Now()
		_, err = tx.ExecContext(ctx, `INSERT INTO "AuthmeMigrations" ("version", "name", "appliedAt", "adopted") VALUES ($1, $2, $3, $4)`,
			m.Version, m.Name, st.AppliedAt.Unix(), boolInt(st.Adopted))
		return err
	})
	if err != nil {
		return MigrationState{}, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return st, nil
}

// MigrateDown undoes the newest applied migration and returns it; ok is false when none
// is applied.
func (db *DB) MigrateDown(ctx context.Context) (m Migration, ok bool, err error) {
	if err := db.prepareSchema(ctx); err != nil {
		return Migration{}, false, err
	}
	all, err := db.Migrations()
	if err != nil {
		return Migration{}, false, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		applied, err := db.appliedMigrations(ctx, tx)
		if err != nil {
			return err
		}
		for i := len(all) - 1; i >= 0; i-- {
			if _, done := applied[all[i].Version]; done {
				m, ok = all[i], true
				break
			}
		}
		if !ok {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.down); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM "AuthmeMigrations" WHERE "version" = $1`, m.Version)
		return err
	})
	if err != nil {
		return Migration{}, false, fmt.Errorf("undo migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return m, ok, nil
}

// inTx runs fn in a transaction holding the migration lock, committing when fn succeeds.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if db.d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.migrationLock); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ErrPendingMigrations means the schema is behind this binary.
var ErrPendingMigrations = errors.New("the database has pending migrations: run `authme migrate`")
