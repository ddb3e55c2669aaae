package testdb

import (
	"embed"
	"testing"

	"authme/internal/store"
)

// expressFixtures are databases as the Express authenticate-me reference app leaves them
// after `sequelize db:migrate`, `db:seed:all` and one sign-up (each file says how it was
// made): bcryptjs hashes of the seed's demo users, and the tables Sequelize keeps.
//
//go:embed express/*.sql
var expressFixtures embed.FS

// Express opens a fresh database on target holding what the Express app made, not yet
// migrated by authme. On PostgreSQL the fixture goes into the test's own schema, as the
// seed's psql-setup-script and SCHEMA do for Express.
func (tg Target) Express(t testing.TB) *store.DB {
	t.Helper()
	o := tg.Options(t)
	db := OpenWith(t, o)
	if tg.Dialect == "postgres" {
		if _, err := db.SQL().Exec(`CREATE SCHEMA "` + o.Schema + `"`); err != nil {
			t.Fatalf("create schema: %v", err)
		}
	}
	fixture, err := expressFixtures.ReadFile("express/" + tg.Dialect + ".sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(string(fixture)); err != nil {
		t.Fatalf("load Express fixture: %v", err)
	}
	return db
}
