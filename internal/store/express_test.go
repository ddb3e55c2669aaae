package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"authme/internal/auth"
	"authme/internal/password"
	"authme/internal/store"
	"authme/internal/testdb"
)

// expressDB opens a fresh database holding what the Express authenticate-me app leaves
// (testdb's Express fixture), checking on PostgreSQL that its tables went into the
// test's own schema, as SCHEMA does for Express.
func expressDB(t *testing.T, tg testdb.Target) *store.DB {
	t.Helper()
	db := tg.Express(t)
	if tg.Dialect == "postgres" {
		var n int
		err := db.SQL().QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('Users', 'SequelizeMeta', 'SequelizeData')`).Scan(&n)
		if err != nil || n != 3 {
			t.Fatalf("fixture tables in the test's schema: %d, %v; want 3", n, err)
		}
	}
	return db
}

// expressUsers are the fixture's accounts and passwords.
var expressUsers = []struct{ username, email, password string }{
	{"Demo-lition", "demo@user.io", "password"},
	{"FakeUser1", "user1@user.io", "password2"},
	{"FakeUser2", "user2@user.io", "password3"},
	{"ExpressSignup", "signup@user.io", "signup-password"},
}

func sequelizeNames(t *testing.T, db *store.DB, table string) string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT "name" FROM "` + table + `" ORDER BY "name"`)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func TestMigrateAdoptsExpressDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := expressDB(t, tg)
		n := len(migrations(t, db))
		before := userRows(t, db)
		if len(before) != len(expressUsers) {
			t.Fatalf("fixture has %d users, want %d", len(before), len(expressUsers))
		}
		if applied, _ := appliedVersions(t, db); applied != "" {
			t.Fatalf("before Migrate: applied %q, want none (no authme ledger yet)", applied)
		}

		done, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate on an Express database: %v", err)
		}
		if len(done) != n {
			t.Fatalf("Migrate recorded %d migrations, want %d", len(done), n)
		}
		for _, st := range done {
			if st.Adopted != (st.Version == 1) {
				t.Errorf("migration %d: Adopted = %v, want %v", st.Version, st.Adopted, st.Version == 1)
			}
		}
		applied, adopted := appliedVersions(t, db)
		if applied != versions(n) || adopted != "1" {
			t.Errorf("status: applied %q, adopted %q; want %s and 1", applied, adopted, versions(n))
		}

		t.Run("KeepsEveryRow", func(t *testing.T) {
			after := userRows(t, db)
			if len(after) != len(before) {
				t.Fatalf("%d users after Migrate, want %d", len(after), len(before))
			}
			for i := range before {
				if after[i] != before[i] {
					t.Errorf("row changed by Migrate: %+v became %+v", before[i], after[i])
				}
			}
			if !strings.HasPrefix(before[0].Hash, "$2a$10$") || !strings.HasPrefix(before[3].Hash, "$2b$10$") {
				t.Errorf("fixture hashes %q, %q are not bcryptjs's", before[0].Hash, before[3].Hash)
			}
			if got := sequelizeNames(t, db, "SequelizeMeta"); got != "20261126044920-create-user.js" {
				t.Errorf("SequelizeMeta = %q, want it left as it was", got)
			}
			if got := sequelizeNames(t, db, "SequelizeData"); got != "20261126044921-demo-user.js" {
				t.Errorf("SequelizeData = %q, want it left as it was", got)
			}
		})

		t.Run("EveryUserGetsAUsernameKey", func(t *testing.T) {
			for i, u := range expressUsers {
				if got, want := usernameKey(t, db, before[i].ID), auth.UsernameMatchKey(u.username); got != want {
					t.Errorf("key of %s = %q, want %q", u.username, got, want)
				}
			}
			for _, st := range done {
				if len(st.Notes) > 0 {
					t.Errorf("migration %d notes %q, want none: no names look alike", st.Version, st.Notes)
				}
			}
		})

		t.Run("SecondMigrateIsNoOp", func(t *testing.T) {
			if again, err := db.Migrate(ctx); err != nil || len(again) != 0 {
				t.Errorf("second Migrate = %d applied, %v; want none", len(again), err)
			}
		})

		t.Run("SeedAddsNoDuplicates", func(t *testing.T) {
			if _, err := db.Seed(ctx, cheapHasher); err != nil {
				t.Fatalf("Seed: %v", err)
			}
			if rows := userRows(t, db); len(rows) != len(before) {
				t.Errorf("%d users after Seed on the Express database, want %d", len(rows), len(before))
			}
		})

		t.Run("ExpressUsersLogIn", func(t *testing.T) {
			svc, err := auth.NewService(db, password.NewArgon2id(password.OWASP), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			for i, u := range expressUsers {
				want := auth.User{ID: before[i].ID, Username: u.username, Email: u.email}
				// First by username (verifies bcryptjs's hash and moves it to argon2id),
				// then by email in another case (verifies the new hash).
				for _, cred := range []string{u.username, strings.ToUpper(u.email)} {
					got, err := svc.VerifyPassword(ctx, auth.LoginInput{Credential: cred, Password: u.password})
					if err != nil || got != want {
						t.Errorf("Login(%q) = %+v, %v; want %+v", cred, got, err, want)
					}
				}
				c, err := db.UserCredentials(ctx, u.username)
				if err != nil || !strings.HasPrefix(c.PasswordHash, "$argon2id$") {
					t.Errorf("%s's hash after log-in = %q, %v; want argon2id", u.username, c.PasswordHash, err)
				}
				if _, err := svc.VerifyPassword(ctx, auth.LoginInput{Credential: u.email, Password: u.password + "x"}); !errors.Is(err, auth.ErrInvalidCredentials) {
					t.Errorf("Login(%q, wrong password) = %v, want ErrInvalidCredentials", u.email, err)
				}
			}
		})

		t.Run("NewUsersGetFreshIDsAndCaseBlindUniqueness", func(t *testing.T) {
			u := mustCreateUser(t, db, "AuthmeUser", "authme@user.io")
			if u.ID <= before[len(before)-1].ID {
				t.Errorf("new user id %d reuses the Express id range (last %d)", u.ID, before[len(before)-1].ID)
			}
			_, err := testdb.CreateUser(ctx, db, "demo-LITION", "new@user.io", fakeHash)
			if got := conflictFields(t, err); got != "username" {
				t.Errorf("sign-up as demo-LITION: conflict %q, want username", got)
			}
			mustCreateSession(t, db, liveSession("express-user-session", before[0].ID))
			if !sessionLive(t, db, "express-user-session") {
				t.Error("an Express user's session is not live")
			}
		})
	})
}

// TestMigrateRefusesExpressCaseDuplicates covers an Express database whose lookups were
// case-sensitive, so two accounts differ only in case (the reference app accepts
// DEMO@user.io beside demo@user.io, and DEMO-LITION beside Demo-lition). Migrate must stop
// with an error that says so and lose nothing; once the rows are fixed it completes.
func TestMigrateRefusesExpressCaseDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Rows as the Express app wrote them through POST /api/users (ids 5 and 6 of the
	// SQLite database internal/testdb/express/sqlite.sql was dumped from).
	tests := []struct {
		name, row string
	}{
		{"EmailsDifferOnlyInCase", `(5, 'demo-lition2', 'DEMO@user.io', '$2b$10$59TBFCjoQv8jW.YYrQBJyOktDuV2k7qcNfJlt8zYB.LGwf29gtCT6', '2026-11-26 05:50:30.525 +00:00', '2026-11-26 05:50:30.525 +00:00')`},
		{"UsernamesDifferOnlyInCase", `(6, 'DEMO-LITION', 'other@user.io', '$2b$10$wUsU.pEe2iS9KIsDGrudc.xbjgxwNznoYoI3hD0ybA.EJfkUsfDE.', '2026-11-26 05:50:30.594 +00:00', '2026-11-26 05:50:30.594 +00:00')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachTarget(t, func(t *testing.T, tg testdb.Target) {
				db := expressDB(t, tg)
				n := len(migrations(t, db))
				if _, err := db.SQL().Exec(`INSERT INTO "Users" ("id", "username", "email", "hashedPassword", "createdAt", "updatedAt") VALUES ` + tt.row); err != nil {
					t.Fatalf("insert Express row: %v", err)
				}
				before := userRows(t, db)

				_, err := db.Migrate(ctx)
				if err == nil {
					t.Fatal("Migrate = nil, want an error about users differing only in case")
				}
				if !strings.Contains(err.Error(), "differ only in case") {
					t.Errorf("Migrate error %q does not name the case problem", err)
				}
				after := userRows(t, db)
				if len(after) != len(before) {
					t.Fatalf("%d users after the failed Migrate, want %d", len(after), len(before))
				}
				for i := range before {
					if after[i] != before[i] {
						t.Errorf("failed Migrate changed %+v to %+v", before[i], after[i])
					}
				}
				if applied, adopted := appliedVersions(t, db); applied != "1" || adopted != "1" {
					t.Errorf("after the failed Migrate: applied %q, adopted %q; want only the adopted 1", applied, adopted)
				}

				if _, err := db.SQL().Exec(`DELETE FROM "Users" WHERE "id" IN (5, 6)`); err != nil {
					t.Fatal(err)
				}
				done, err := db.Migrate(ctx)
				if err != nil || len(done) != n-1 {
					t.Fatalf("Migrate after fixing the rows = %d applied, %v; want %d", len(done), err, n-1)
				}
				if rows := userRows(t, db); len(rows) != len(before)-1 {
					t.Errorf("%d users after the fix, want %d", len(rows), len(before)-1)
				}
			})
		})
	}
}

// TestMigrateReportsExpressLookAlikes covers an Express database whose accounts include
// names that only look alike (the reference app accepts Ｄｅｍｏ-lition, with
// fullwidth letters, beside Demo-lition). Migrate completes, loses no row, reports the
// look-alike, and both accounts keep logging in; the Express app can still insert users
// afterwards, and they are compared with new sign-ups.
func TestMigrateReportsExpressLookAlikes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := expressDB(t, tg)
		hash, err := cheapHasher.Hash("look-alike password")
		if err != nil {
			t.Fatal(err)
		}
		// As POST /api/users of the Express app writes rows (it sets every column).
		const insert = `INSERT INTO "Users" ("username", "email", "hashedPassword", "createdAt", "updatedAt") VALUES ($1, $2, $3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING "id"`
		var lookAlike int64
		if err := db.SQL().QueryRow(insert, "Ｄｅｍｏ-ｌｉｔｉｏｎ", "fullwidth@user.io", []byte(hash)).Scan(&lookAlike); err != nil {
			t.Fatalf("insert Express row: %v", err)
		}
		before := userRows(t, db)

		done, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		var notes []string
		for _, st := range done {
			notes = append(notes, st.Notes...)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "Ｄｅｍｏ-ｌｉｔｉｏｎ") || !strings.Contains(notes[0], "Demo-lition") {
			t.Errorf("Migrate notes = %q, want one naming Ｄｅｍｏ-ｌｉｔｉｏｎ and Demo-lition", notes)
		}
		after := userRows(t, db)
		if len(after) != len(before) {
			t.Fatalf("%d users after Migrate, want %d", len(after), len(before))
		}
		for i := range before {
			if after[i] != before[i] {
				t.Errorf("Migrate changed %+v to %+v", before[i], after[i])
			}
		}
		if k := usernameKey(t, db, lookAlike); k != "" {
			t.Errorf("the look-alike got key %q, want NULL (Demo-lition holds it)", k)
		}

		svc, err := auth.NewService(db, cheapHasher, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		for cred, want := range map[string]int64{"Ｄｅｍｏ-ｌｉｔｉｏｎ": lookAlike, "Demo-lition": before[0].ID} {
			pw := "look-alike password"
			if want == before[0].ID {
				pw = expressUsers[0].password
			}
			if u, err := svc.VerifyPassword(ctx, auth.LoginInput{Credential: cred, Password: pw}); err != nil || u.ID != want {
				t.Errorf("Login(%q) = %+v, %v; want user %d", cred, u, err, want)
			}
		}

		// The Express app, not knowing the new column, still signs people up …
		var later int64
		if err := db.SQL().QueryRow(insert, "LaterExpressUser", "later@user.io", []byte(hash)).Scan(&later); err != nil {
			t.Fatalf("Express insert after Migrate: %v", err)
		}
		// … and authme compares its names with the next sign-up.
		if _, err := testdb.CreateUser(ctx, db, "LaterExpressUs\u0435r", "mine@user.io", fakeHash); conflictFields(t, err) != "username" {
			t.Errorf("sign-up of a look-alike of a later Express user: %v, want a username conflict", err)
		}
		// The sign-up only reads; the key is filled when the user is next looked up.
		if _, err := db.UserCredentials(ctx, "later@user.io"); err != nil {
			t.Fatal(err)
		}
		if k := usernameKey(t, db, later); k != auth.UsernameMatchKey("LaterExpressUser") {
			t.Errorf("later Express user's key after a look-up = %q, want it filled", k)
		}
	})
}
