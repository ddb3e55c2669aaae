package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"authme/internal/auth"
	"authme/internal/password"
	"authme/internal/store"
	"authme/internal/testdb"
)

// cheapHasher makes Argon2id hashes quickly, for tests that need hashes but not their cost.
var cheapHasher = password.NewArgon2id(password.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})

// fakeHash stands for a stored password hash where none is ever verified.
const fakeHash = "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"

// eachTarget runs fn as a parallel subtest on every database testdb offers.
func eachTarget(t *testing.T, fn func(t *testing.T, tg testdb.Target)) {
	t.Helper()
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Parallel()
			fn(t, tg)
		})
	}
}

// tableExists reports whether db's current schema has table name.
func tableExists(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.Dialect() == "postgres" {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := db.SQL().QueryRow(q, name).Scan(&n); err != nil {
		t.Fatalf("look for table %s: %v", name, err)
	}
	return n > 0
}

// checkTables fails unless exactly the want tables of names exist.
func checkTables(t *testing.T, db *store.DB, want map[string]bool) {
	t.Helper()
	for name, exists := range want {
		if got := tableExists(t, db, name); got != exists {
			t.Errorf("table %s exists = %v, want %v", name, got, exists)
		}
	}
}

// appliedVersions summarises MigrationStatus as "1,2" (applied) and "1" (adopted).
func appliedVersions(t *testing.T, db *store.DB) (applied, adopted string) {
	t.Helper()
	st, err := db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if n := len(migrations(t, db)); len(st) != n {
		t.Fatalf("MigrationStatus lists %d migrations, want all %d", len(st), n)
	}
	var ap, ad []string
	for _, s := range st {
		if s.Applied {
			ap = append(ap, fmt.Sprint(s.Version))
			if s.AppliedAt.IsZero() {
				t.Errorf("migration %d applied with a zero AppliedAt", s.Version)
			}
		} else if !s.AppliedAt.IsZero() || s.Adopted {
			t.Errorf("migration %d not applied but has AppliedAt %v, Adopted %v", s.Version, s.AppliedAt, s.Adopted)
		}
		if s.Adopted {
			ad = append(ad, fmt.Sprint(s.Version))
		}
	}
	return strings.Join(ap, ","), strings.Join(ad, ",")
}

// migrations lists db's embedded migrations, checking that the first three are the ones
// every later migration builds on.
func migrations(t *testing.T, db *store.DB) []store.Migration {
	t.Helper()
	ms, err := db.Migrations()
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	want := []string{"create_users", "users_unique_ignoring_case", "create_sessions"}
	if len(ms) < len(want) {
		t.Fatalf("Migrations = %d, want at least %d", len(ms), len(want))
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Fatalf("migration %d has version %d: versions must run 1, 2, 3, …", i, m.Version)
		}
		if i < len(want) && m.Name != want[i] {
			t.Fatalf("migration %d is %q, want %q", m.Version, m.Name, want[i])
		}
	}
	return ms
}

// versions returns "1,2,…,n".
func versions(n int) string {
	v := make([]string, n)
	for i := range v {
		v[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(v, ",")
}

// userRow is a Users row as stored, password hash and creation time included.
type userRow struct {
	ID                        int64
	Username, Email, Hash, At string
}

// userRows reads every Users row, ordered by id.
func userRows(t *testing.T, db *store.DB) []userRow {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT "id", "username", "email", "hashedPassword", CAST("createdAt" AS TEXT) FROM "Users" ORDER BY "id"`)
	if err != nil {
		t.Fatalf("read users: %v", err)
	}
	defer rows.Close()
	var out []userRow
	for rows.Next() {
		var r userRow
		var hash []byte
		if err := rows.Scan(&r.ID, &r.Username, &r.Email, &hash, &r.At); err != nil {
			t.Fatalf("read users: %v", err)
		}
		r.Hash = string(hash)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read users: %v", err)
	}
	return out
}

func usernames(rows []userRow) string {
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Username
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func mustCreateUser(t *testing.T, db *store.DB, username, email string) auth.User {
	t.Helper()
	u, err := testdb.CreateUser(context.Background(), db, username, email, fakeHash)
	if err != nil {
		t.Fatalf("CreateUser(%q, %q): %v", username, email, err)
	}
	return u
}

// conflictFields returns the sorted fields of err, which must be an EConflict *auth.Error.
func conflictFields(t *testing.T, err error) string {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	if e.Code != auth.EConflict {
		t.Fatalf("error code = %q, want %q (%v)", e.Code, auth.EConflict, err)
	}
	var f []string
	for k := range e.Fields {
		f = append(f, k)
	}
	sort.Strings(f)
	return strings.Join(f, ",")
}
