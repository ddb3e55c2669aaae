package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every statement that differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// tableExists takes a table name and counts matching tables in the current schema.
	tableExists string
	// migrationLock serialises migrations across processes inside a transaction ("" if
	// the transaction itself is exclusive, as SQLite's IMMEDIATE ones are).
	migrationLock string
	// uniqueViolation reports whether err is a unique-index violation, and the index or
	// column text that names it.
	uniqueViolation func(err error) (string, bool)
	// lockTimeoutOnly: calls are bounded by the database's own lock timeout, not by a
	// context deadline (see DB.deadline).
	lockTimeoutOnly bool
	// takeAddressToken is the one statement that refills an address's bucket and takes a
	// token from it (see takeTokenSQL): PostgreSQL spells the two-argument minimum and
	// maximum LEAST and GREATEST, SQLite min and max.
	takeAddressToken string
	// forUpdate ends a SELECT that reads a row the transaction will change: PostgreSQL
	// locks it; SQLite's writing transactions already exclude each other.
	forUpdate string
}

var sqliteDialect = dialect{
	name:            "sqlite",
	lockTimeoutOnly: true,
	tableExists:     `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`,
	uniqueViolation: func(err error) (string, bool) {
		var e *msqlite.Error
		if errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return e.Error(), true
		}
		return "", false
	},
	takeAddressToken: takeTokenSQL("min", "max"),
}

var postgresDialect = dialect{
	name:          "postgres",
	tableExists:   `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`,
	migrationLock: `SELECT pg_advisory_xact_lock(7262736) -- authme migrations`,
	uniqueViolation: func(err error) (string, bool) {
		var e *pgconn.PgError
		if errors.As(err, &e) && e.Code == "23505" {
			return e.ConstraintName + " " + e.Detail, true
		}
		return "", false
	},
	takeAddressToken: takeTokenSQL("LEAST", "GREATEST"),
	forUpdate:        " FOR UPDATE",
}

// conflictField names the Users field a unique violation is about.
func conflictField(what string) string {
	if strings.Contains(what, "username") {
		return "username"
	}
	return "email"
}
