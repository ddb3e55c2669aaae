package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ledgerDDL makes the ledgers: "AuthmeMigrations" records each applied migration (and
// whether it was adopted from an Express-made table), "AuthmeSeeds" each applied seed.
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

// inTx runs fn in a transaction holding the migration lock, committing when fn succeeds.
// The lock is PostgreSQL's transaction-level advisory lock, which waits rather than polls
// and ends with the transaction; on SQLite the transaction itself is the lock (authme
// opens SQLite with IMMEDIATE transactions, so a second writer waits on busy_timeout).
// Because every migration and seed reads the ledger inside its own locked transaction,
// concurrent `authme migrate` and `serve --migrate` runs apply each migration once.
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

// querier is what reading the ledger needs: the pool (for status) or a locked transaction
// (for migrating).
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// appliedMigrations reads the ledger by version; a database without one has none applied.
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

// recordApplied adds st to the ledger.
func recordApplied(ctx context.Context, tx *sql.Tx, st MigrationState) error {
	adopted := 0
	if st.Adopted {
		adopted = 1
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO "AuthmeMigrations" ("version", "name", "appliedAt", "adopted") VALUES ($1, $2, $3, $4)`,
		st.Version, st.Name, st.AppliedAt.Unix(), adopted)
	if err != nil {
		return fmt.Errorf("record in ledger: %w", err)
	}
	return nil
}

// recordUndone removes migration version from the ledger.
func recordUndone(ctx context.Context, tx *sql.Tx, version int) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM "AuthmeMigrations" WHERE "version" = $1`, version); err != nil {
		return fmt.Errorf("remove from ledger: %w", err)
	}
	return nil
}
