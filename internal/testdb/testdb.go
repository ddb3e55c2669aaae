// Package testdb gives tests a fresh, migrated database: a temporary SQLite file always,
// and a PostgreSQL schema of its own when TEST_DATABASE_URL is set, so runs never collide.
// With AUTHME_REQUIRE_POSTGRES=1 (CI) a missing TEST_DATABASE_URL fails instead of skipping.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"authme/internal/store"
)

// Target is one database a test can run against.
type Target struct {
	Dialect string // "sqlite" or "postgres"
	URL     string // PostgreSQL URL; "" for SQLite
}

// Targets lists SQLite and, when configured, PostgreSQL.
func Targets(t testing.TB) []Target {
	t.Helper()
	out := []Target{{Dialect: "sqlite"}}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		out = append(out, Target{Dialect: "postgres", URL: u})
	} else if os.Getenv("AUTHME_REQUIRE_POSTGRES") == "1" {
		t.Fatal("AUTHME_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
	} else {
		t.Log("TEST_DATABASE_URL not set: PostgreSQL cases skipped")
	}
	return out
}

// Postgres returns the PostgreSQL target, for tests that need it alone: without
// TEST_DATABASE_URL they skip (and fail under AUTHME_REQUIRE_POSTGRES=1, via Targets).
func Postgres(t testing.TB) Target {
	t.Helper()
	for _, tg := range Targets(t) {
		if tg.Dialect == "postgres" {
			return tg
		}
	}
	t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	return Target{}
}

// Options returns store options for a fresh, empty database on target: a new SQLite file
// or a new PostgreSQL schema, dropped when the test ends.
func (tg Target) Options(t testing.TB) store.Options {
	t.Helper()
	if tg.URL == "" {
		return store.Options{File: filepath.Join(t.TempDir(), "authme.db")}
	}
	schema := "t_" + randomHex(t, 8)
	t.Cleanup(func() {
		db, err := store.Open(context.Background(), store.Options{DatabaseURL: tg.URL})
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.SQL().Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return store.Options{DatabaseURL: tg.URL, Schema: schema}
}

// Open opens a fresh database on target, unmigrated, closed when the test ends.
func (tg Target) Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenWith(t, tg.Options(t))
}

// OpenWith opens the database o names, closed when the test ends.
func OpenWith(t testing.TB, o store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s: %v", o.File+o.Schema, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Migrated opens a fresh database on target with every migration applied.
func (tg Target) Migrated(t testing.TB) *store.DB {
	t.Helper()
	db := tg.Open(t)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
