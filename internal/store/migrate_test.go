package store_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"

	"authme/internal/store"
	"authme/internal/testdb"
)

func TestMigrations(t *testing.T) {
	t.Parallel()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Open(t)
		for _, m := range migrations(t, db) {
			if m.Name == "" {
				t.Errorf("migration %d has no name", m.Version)
			}
		}
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		n := len(migrations(t, tg.Open(t)))
		all := versions(n)

		t.Run("FreshDatabaseHasAllPending", func(t *testing.T) {
			t.Parallel()
			db := tg.Open(t)
			if applied, _ := appliedVersions(t, db); applied != "" {
				t.Errorf("applied = %q before Migrate, want none", applied)
			}
			if p, err := db.PendingMigrations(ctx); err != nil || p != n {
				t.Errorf("PendingMigrations = %d, %v; want %d", p, err, n)
			}
		})

		t.Run("AppliesAllThenNothing", func(t *testing.T) {
			t.Parallel()
			db := tg.Open(t)
			done, err := db.Migrate(ctx)
			if err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if len(done) != n {
				t.Fatalf("Migrate applied %d migrations, want %d: %+v", len(done), n, done)
			}
			for i, st := range done {
				if st.Version != i+1 || !st.Applied || st.Adopted || st.AppliedAt.IsZero() {
					t.Errorf("Migrate result %d = version %d, applied %v, adopted %v, at %v; want version %d applied, not adopted",
						i, st.Version, st.Applied, st.Adopted, st.AppliedAt, i+1)
				}
			}
			applied, adopted := appliedVersions(t, db)
			if applied != all || adopted != "" {
				t.Errorf("status: applied %q, adopted %q; want %s and none", applied, adopted, all)
			}
			if p, err := db.PendingMigrations(ctx); err != nil || p != 0 {
				t.Errorf("PendingMigrations = %d, %v; want 0", p, err)
			}
			checkTables(t, db, map[string]bool{"Users": true, "Sessions": true, "AuthmeMigrations": true, "AuthmeSeeds": true})

			again, err := db.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second Migrate = %d applied, %v; want nothing applied", len(again), err)
			}
			if applied2, _ := appliedVersions(t, db); applied2 != all {
				t.Errorf("status after second Migrate: %q, want %s", applied2, all)
			}
		})

		t.Run("DownStepByStepThenUpAgain", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			// What must exist once the newest applied migration is v.
			tables := map[int]map[string]bool{
				3: {"Users": true, "Sessions": true},
				2: {"Users": true, "Sessions": false},
				1: {"Users": true, "Sessions": false},
				0: {"Users": false, "Sessions": false},
			}
			for v := n; v >= 1; v-- {
				m, ok, err := db.MigrateDown(ctx)
				if err != nil || !ok || m.Version != v {
					t.Fatalf("MigrateDown = %d, %v, %v; want %d, true, nil", m.Version, ok, err, v)
				}
				if applied, _ := appliedVersions(t, db); applied != versions(v-1) {
					t.Errorf("after undoing %d: applied %q, want %q", v, applied, versions(v-1))
				}
				if want, ok := tables[v-1]; ok {
					checkTables(t, db, want)
				}
			}
			if p, err := db.PendingMigrations(ctx); err != nil || p != n {
				t.Errorf("PendingMigrations = %d, %v; want %d", p, err, n)
			}

			m, ok, err := db.MigrateDown(ctx)
			if err != nil || ok {
				t.Errorf("MigrateDown with nothing applied = %d, %v, %v; want ok=false, nil", m.Version, ok, err)
			}

			done, err := db.Migrate(ctx)
			if err != nil || len(done) != n {
				t.Fatalf("Migrate after full undo = %d applied, %v; want %d", len(done), err, n)
			}
			if applied, _ := appliedVersions(t, db); applied != all {
				t.Errorf("applied %q, want %s", applied, all)
			}
			checkTables(t, db, tables[3])
			// The tables work again: the case-blind unique index is back.
			mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			if _, err := testdb.CreateUser(ctx, db, "DEMO-LITION", "x@user.io", fakeHash); conflictFields(t, err) != "username" {
				t.Errorf("after re-migrating, case-insensitive uniqueness is gone: %v", err)
			}
		})

		t.Run("DownKeepsOlderData", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			for v := n; v > 1; v-- {
				if _, _, err := db.MigrateDown(ctx); err != nil {
					t.Fatalf("MigrateDown: %v", err)
				}
			}
			if rows := userRows(t, db); len(rows) != 1 || rows[0].ID != u.ID {
				t.Errorf("users after undoing to migration 1 = %+v, want only %+v", rows, u)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if c, err := db.UserCredentials(ctx, "DEMO@USER.IO"); err != nil || c.ID != u.ID {
				t.Errorf("UserCredentials after re-migrating = %+v, %v", c, err)
			}
		})

		t.Run("DownOnNeverMigratedIsNotOK", func(t *testing.T) {
			t.Parallel()
			db := tg.Open(t)
			if _, ok, err := db.MigrateDown(ctx); err != nil || ok {
				t.Errorf("MigrateDown = ok %v, %v; want false, nil", ok, err)
			}
		})

		t.Run("ConcurrentMigratesApplyEachOnce", func(t *testing.T) {
			t.Parallel()
			o := tg.Options(t)
			dbs := []*store.DB{testdb.OpenWith(t, o), testdb.OpenWith(t, o), testdb.OpenWith(t, o)}
			var wg sync.WaitGroup
			counts := make([]int, len(dbs))
			errs := make([]error, len(dbs))
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					done, err := db.Migrate(ctx)
					counts[i], errs[i] = len(done), err
				}()
			}
			wg.Wait()
			total := 0
			for i := range dbs {
				if errs[i] != nil {
					t.Errorf("Migrate %d: %v", i, errs[i])
				}
				total += counts[i]
			}
			if total != n {
				t.Errorf("concurrent Migrates applied %v migrations, want %d together", counts, n)
			}
			if applied, _ := appliedVersions(t, dbs[0]); applied != all {
				t.Errorf("applied %q, want %s", applied, all)
			}
		})

		t.Run("UnmigratedRefusesSeed", func(t *testing.T) {
			t.Parallel()
			db := tg.Open(t)
			if _, err := db.Seed(ctx, cheapHasher); !errors.Is(err, store.ErrPendingMigrations) {
				t.Errorf("Seed before Migrate = %v, want ErrPendingMigrations", err)
			}
			if _, err := db.Unseed(ctx); !errors.Is(err, store.ErrPendingMigrations) {
				t.Errorf("Unseed before Migrate = %v, want ErrPendingMigrations", err)
			}
		})
	})
}

// TestPostgresSchema checks that SCHEMA keeps every table in that schema, made by Migrate
// as the seed's psql-setup-script makes it.
func TestPostgresSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		if tg.Dialect != "postgres" {
			t.Skip("SCHEMA is PostgreSQL's")
		}
		o := tg.Options(t)
		if o.Schema == "" {
			t.Fatal("testdb gave no schema")
		}
		db := testdb.OpenWith(t, o)
		schemaCount := func() int {
			var n int
			if err := db.SQL().QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, o.Schema).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if schemaCount() != 0 {
			t.Fatalf("schema %s exists before Migrate", o.Schema)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if schemaCount() != 1 {
			t.Fatalf("Migrate did not create schema %s", o.Schema)
		}
		rows, err := db.SQL().Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, o.Schema)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			got = append(got, name)
		}
		have := map[string]bool{}
		for _, name := range got {
			have[name] = true
		}
		for _, want := range []string{"AuthmeMigrations", "AuthmeSeeds", "Sessions", "Users"} {
			if !have[want] {
				t.Errorf("table %s is not in schema %s (it has %s)", want, o.Schema, joinSorted(got))
			}
		}
		// Data written through the store lands there too.
		mustCreateUser(t, db, "Demo-lition", "demo@user.io")
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM "` + o.Schema + `"."Users"`).Scan(&n); err != nil || n != 1 {
			t.Errorf("users in %s.Users = %d, %v; want 1", o.Schema, n, err)
		}
	})
}

func joinSorted(s []string) string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return strings.Join(s, ",")
}
