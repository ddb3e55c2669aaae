package store

// authme keeps its own migration runner rather than goose (github.com/pressly/goose/v3,
// Provider API, weighed at v3.30.0). goose's footprint is small (it adds go-retry,
// multierr and interpolate), but it would remove little code and lose two features:
//
//   - SQLite: goose has no lock for it (lock.NewPostgresSessionLocker is PostgreSQL's;
//     SQLite locking is open goose issue #1022). Provider.Up lists the applied versions
//     before its per-migration transactions, so three Providers, each on its own pool as
//     three processes would be, migrating one fresh file together ran the same CREATE
//     TABLE twice and failed ("table \"Users\" already exists") in 2 of 5 tries. Here
//     each migration re-reads the ledger inside its own IMMEDIATE transaction, so
//     concurrent runs apply each migration once (TestMigrate/ConcurrentMigratesApplyEachOnce).
//   - Adopting Express tables: goose's ledger has no "adopted" flag, and a Go migration
//     cannot pass one to goose's Store.Insert, so `migrate status` would still need this
//     ledger beside goose's: two ledgers to keep in step, plus a one-time copy of today's
//     "AuthmeMigrations" rows into goose's table.
//   - The seeds share this ledger's lock and schema set-up (inTx, prepareSchema), so those
//     stay whatever runs the migrations.
//   - goose wants one NNNN_name.sql file per version with -- +goose Up/Down sections, and
//     keeps a package-level registry of Go migrations (switched off per Provider).
//
// What goose would replace (reading the files, ~50 lines; the up/down loop, ~60) is about
// what the adapter, the ledger copy and the adoption step would add back.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

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

// ErrPendingMigrations means the schema is behind this binary.
var ErrPendingMigrations = errors.New("the database has pending migrations: run `authme migrate`")

// usernameKeyMigration adds "Users"."usernameKey", which Migrate fills after it.
const usernameKeyMigration = 5

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
	// Username keys are computed in Go, so no SQL migration can fill them. This runs at
	// every migrate, also filling rows the Express app inserted since.
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
		if st.Adopted, err = db.adopts(ctx, tx, m); err != nil {
			return err
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
		return recordApplied(ctx, tx, st)
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
		return recordUndone(ctx, tx, m.Version)
	})
	if err != nil {
		return Migration{}, false, fmt.Errorf("undo migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return m, ok, nil
}
