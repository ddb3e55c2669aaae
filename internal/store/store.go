// Package store keeps authme's data in SQLite (development, tests) or PostgreSQL
// (production) behind one type. The SQL is written by hand and is the same for both
// dialects except for the few statements in dialect.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // pure-Go SQLite, so authme builds with CGO_ENABLED=0
)

// Options says which database to open.
type Options struct {
	DatabaseURL string        // PostgreSQL URL; when empty, SQLite at File
	File        string        // SQLite file; its folder is created when missing
	Schema      string        // PostgreSQL schema for every table; "" for the default
	MaxConns    int           // pool size; 0 picks a default
	Timeout     time.Duration // deadline for each database call; 0 picks a default
	// EventLog gets one line for each security event stored; nil: none.
	EventLog *slog.Logger
}

// DefaultTimeout bounds each database call when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// DB is an open database.
type DB struct {
	sql     *sql.DB
	d       dialect
	schema  string
	timeout time.Duration
	stmts   sync.Map // query text → *sql.Stmt, for the statements on the request path

	eventLog       *slog.Logger
	eventsRecorded atomic.Int64
}

// Open opens the database and checks that it answers.
func Open(ctx context.Context, o Options) (*DB, error) {
	db := &DB{schema: o.Schema, timeout: o.Timeout, eventLog: o.EventLog}
	if db.timeout <= 0 {
		db.timeout = DefaultTimeout
	}
	var err error
	if o.DatabaseURL != "" {
		db.d = postgresDialect
		db.sql, err = openPostgres(o)
	} else {
		db.d = sqliteDialect
		db.sql, err = openSQLite(o)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.sql.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(o Options) (*sql.DB, error) {
	if o.File == "" {
		return nil, errors.New("open sqlite: no file given")
	}
	if dir := filepath.Dir(o.File); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock
	// up front, so concurrent writers wait on busy_timeout instead of failing to upgrade.
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(5000)") // as long as DefaultTimeout: see deadline
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+o.File+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", o.File, err)
	}
	n := o.MaxConns
	if n <= 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, nil
}

func openPostgres(o Options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(o.DatabaseURL)
	if err != nil {
		// The parse error can quote the URL, password included; say only what is wrong.
		return nil, errors.New("open postgres: DATABASE_URL is not a valid PostgreSQL URL")
	}
	if o.Schema != "" {
		cfg.RuntimeParams["search_path"] = quoteIdent(o.Schema)
	}
	db := stdlib.OpenDB(*cfg)
	n := o.MaxConns
	if n <= 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// prepared returns query as a prepared statement, preparing it on first use, so the hot
// queries are parsed once per connection instead of once per call.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Dialect names the database kind: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name }

// SQL exposes the pool for tests and health checks.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to %s: %w", db.d.name, err)
	}
	return nil
}

// deadline gives one database call its time limit. PostgreSQL calls get a context
// deadline. SQLite runs in-process, where a call can only wait for a lock, and its
// busy_timeout (the same 5 s) bounds that; a context that can end would make
// database/sql and the driver each start a goroutine to watch it, on every call of the
// request path, to guard against nothing.
func (db *DB) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.d.lockTimeoutOnly {
		return context.WithoutCancel(ctx), func() {}
	}
	return context.WithTimeout(ctx, db.timeout)
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }
