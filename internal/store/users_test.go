package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"authme/internal/auth"
	"authme/internal/store"
	"authme/internal/testdb"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		demo := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
		other := mustCreateUser(t, db, "FakeUser1", "user1@user.io")
		if demo.ID == 0 || other.ID == demo.ID || demo.Username != "Demo-lition" || demo.Email != "demo@user.io" {
			t.Fatalf("CreateUser = %+v, %+v; want two users with distinct ids", demo, other)
		}

		tests := []struct {
			name, username, email string
			fields                string
		}{
			{"SameUsernameIsConflict", "Demo-lition", "new@user.io", "username"},
			{"UsernameInOtherCaseIsConflict", "DEMO-LITION", "new@user.io", "username"},
			{"SameEmailIsConflict", "NewUser", "demo@user.io", "email"},
			{"EmailInOtherCaseIsConflict", "NewUser", "Demo@User.IO", "email"},
			{"BothOfOneUserNamesBoth", "demo-lition", "DEMO@user.io", "email,username"},
			{"UsernameOfOneEmailOfAnotherNamesBoth", "fakeuser1", "demo@USER.io", "email,username"},
			{"FullwidthUsernameIsConflict", "Ｄｅｍｏ-ｌｉｔｉｏｎ", "new@user.io", "username"},
			{"NonASCIICaseIsConflict", "ＤＥＭＯ-ＬＩＴＩＯＮ", "new@user.io", "username"},
			{"AccentedUsernameIsConflict", "Démo-lition", "new@user.io", "username"},
			{"CombiningMarkUsernameIsConflict", "Demo\u0336-lition", "new@user.io", "username"},
			{"CyrillicLookAlikeIsConflict", "Dеmо-lition", "new@user.io", "username"},
			{"CapitalIForSmallLIsConflict", "Demo-Iition", "new@user.io", "username"},
			{"DigitOneForSmallLIsConflict", "FakeUserl", "new@user.io", "username"},
			{"LookAlikeAndEmailNamesBoth", "Ｄｅｍｏ-ｌｉｔｉｏｎ", "DEMO@user.io", "email,username"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := testdb.CreateUser(ctx, db, tt.username, tt.email, fakeHash)
				if err == nil {
					t.Fatalf("CreateUser(%q, %q) = %+v, nil; want a conflict", tt.username, tt.email, u)
				}
				if got := conflictFields(t, err); got != tt.fields {
					t.Errorf("conflict fields = %q, want %q", got, tt.fields)
				}
			})
		}
		if rows := userRows(t, db); len(rows) != 2 {
			t.Errorf("refused inserts left %d users, want 2", len(rows))
		}
	})
}

// TestCreateUserConcurrently checks that the database, not a check before the insert,
// decides duplicates: of 20 simultaneous sign-ups of one name exactly one wins.
func TestCreateUserConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		const n = 20
		names := []string{"Racer", "RACER", "racer", "rAcEr"}
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = testdb.CreateUser(ctx, db, names[i%len(names)], fmt.Sprintf("racer%d@user.io", i), fakeHash)
			}()
		}
		close(start)
		wg.Wait()
		wins, conflicts := 0, 0
		for i, err := range errs {
			var e *auth.Error
			switch {
			case err == nil:
				wins++
			case errors.As(err, &e) && e.Code == auth.EConflict:
				conflicts++
				if len(e.Fields) != 1 || e.Fields["username"] == "" {
					t.Errorf("sign-up %d: conflict fields %v, want only username", i, e.Fields)
				}
			default:
				t.Errorf("sign-up %d: unexpected error %v", i, err)
			}
		}
		if wins != 1 || conflicts != n-1 {
			t.Errorf("%d sign-ups: %d succeeded, %d conflicts; want 1 and %d", n, wins, conflicts, n-1)
		}
		if rows := userRows(t, db); len(rows) != 1 {
			t.Errorf("%d users stored, want 1", len(rows))
		}
	})
}

func TestUserCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
		mustCreateUser(t, db, "FakeUser1", "user1@user.io")

		// A look-alike spelling finds the one account it imitates (the password decides
		// the rest), so every spelling counts against that account's throttle.
		for _, cred := range []string{"Demo-lition", "demo-lition", "DEMO-LITION", "demo@user.io", "DEMO@USER.IO", "Demo@User.io",
			"Demo-lition ", "Ｄｅｍｏ-ｌｉｔｉｏｎ", "Dеmо-lition", "Demo\u200b-lition", "Démo-lition"} {
			t.Run("Finds/"+cred, func(t *testing.T) {
				c, err := db.UserCredentials(ctx, cred)
				if err != nil {
					t.Fatalf("UserCredentials(%q): %v", cred, err)
				}
				if c.User != u || c.PasswordHash != fakeHash {
					t.Errorf("UserCredentials(%q) = %+v, want %+v with its hash", cred, c, u)
				}
			})
		}

		notFound := map[string]string{
			"Unknown":            "nobody",
			"UnknownEmail":       "nobody@user.io",
			"Empty":              "",
			"NULByte":            "Demo-lition\x00",
			"NULInside":          "Demo\x00-lition",
			"InvalidUTF8":        "Demo-lition\xff",
			"LikeWildcard":       "Demo-%",
			"LikeSingleWildcard": "Demo_lition",
			"Prefix":             "Demo",
			"OnlyInvisible":      "\u200b\u200b",
			"SQLQuote":           "' OR '1'='1",
		}
		for name, cred := range notFound {
			t.Run("NotFound/"+name, func(t *testing.T) {
				c, err := db.UserCredentials(ctx, cred)
				if !errors.Is(err, auth.ErrNotFound) {
					t.Errorf("UserCredentials(%q) = %+v, %v; want ErrNotFound", cred, c, err)
				}
			})
		}
	})
}

func TestUserCredentialsByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
		if c, err := db.UserCredentialsByID(ctx, u.ID); err != nil || c.User != u || c.PasswordHash != fakeHash {
			t.Errorf("UserCredentialsByID(%d) = %+v, %v; want %+v", u.ID, c, err, u)
		}
		if _, err := db.UserCredentialsByID(ctx, u.ID+100); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("UserCredentialsByID(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestSetPasswordHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
		other := mustCreateUser(t, db, "FakeUser1", "user1@user.io")
		const newHash = "$2a$10$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G"
		if err := db.SetPasswordHash(ctx, u.ID, newHash); err != nil {
			t.Fatalf("SetPasswordHash: %v", err)
		}
		if c, err := db.UserCredentials(ctx, "Demo-lition"); err != nil || c.PasswordHash != newHash {
			t.Errorf("hash after SetPasswordHash = %q, %v; want %q", c.PasswordHash, err, newHash)
		}
		if c, err := db.UserCredentials(ctx, "FakeUser1"); err != nil || c.PasswordHash != fakeHash || c.ID != other.ID {
			t.Errorf("another user's hash changed: %q, %v", c.PasswordHash, err)
		}
		if err := db.SetPasswordHash(ctx, u.ID+100, newHash); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("SetPasswordHash(unknown user) = %v, want ErrNotFound", err)
		}
	})
}

// insertKeyless inserts a user as the Express app does, knowing nothing of "usernameKey".
func insertKeyless(t *testing.T, db *store.DB, username, email, hash string) int64 {
	t.Helper()
	var id int64
	err := db.SQL().QueryRow(`INSERT INTO "Users" ("username", "email", "hashedPassword") VALUES ($1, $2, $3) RETURNING "id"`,
		username, email, []byte(hash)).Scan(&id)
	if err != nil {
		t.Fatalf("insert %q as the Express app would: %v", username, err)
	}
	return id
}

// usernameKey returns user id's stored key, "" when it is NULL.
func usernameKey(t *testing.T, db *store.DB, id int64) string {
	t.Helper()
	var k sql.NullString
	if err := db.SQL().QueryRow(`SELECT "usernameKey" FROM "Users" WHERE "id" = $1`, id).Scan(&k); err != nil {
		t.Fatalf("read username key of user %d: %v", id, err)
	}
	return k.String
}

// TestUsersWithoutUsernameKey covers rows another app inserts into a migrated database
// (the Express original still sharing it): they are found, get their key when authme
// sees them, and count when a look-alike signs up.
func TestUsersWithoutUsernameKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("LogInLookupFillsTheKey", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			id := insertKeyless(t, db, "Demo-lition", "demo@user.io", fakeHash)
			if k := usernameKey(t, db, id); k != "" {
				t.Fatalf("key of an Express-made row = %q, want NULL", k)
			}
			if c, err := db.UserCredentials(ctx, "DEMO-LITION"); err != nil || c.ID != id {
				t.Fatalf("UserCredentials(DEMO-LITION) = %+v, %v; want user %d", c, err, id)
			}
			if k := usernameKey(t, db, id); k != auth.UsernameMatchKey("Demo-lition") {
				t.Errorf("key after log-in lookup = %q, want %q", k, auth.UsernameMatchKey("Demo-lition"))
			}
			if c, err := db.UserCredentials(ctx, "Ｄｅｍｏ-ｌｉｔｉｏｎ"); err != nil || c.ID != id {
				t.Errorf("look-alike lookup once keyed = %+v, %v; want user %d", c, err, id)
			}
		})

		t.Run("SignUpComparesWithKeylessRows", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			insertKeyless(t, db, "Demo-lition", "demo@user.io", fakeHash)
			for _, name := range []string{"Dеmо-lition", "Ｄｅｍｏ-ｌｉｔｉｏｎ", "Demo-Iition"} {
				_, err := testdb.CreateUser(ctx, db, name, "new@user.io", fakeHash)
				if got := conflictFields(t, err); got != "username" {
					t.Errorf("sign-up as %q beside a keyless Demo-lition: conflict %q, want username", name, got)
				}
			}
			if rows := userRows(t, db); len(rows) != 1 {
				t.Errorf("%d users, want 1", len(rows))
			}
		})

		t.Run("LookAlikesKeepTheirRowsAndLogIn", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			first := insertKeyless(t, db, "Demo-lition", "demo@user.io", fakeHash)
			second := insertKeyless(t, db, "Ｄｅｍｏ-ｌｉｔｉｏｎ", "look@user.io", fakeHash)
			third := insertKeyless(t, db, "  Legacy name  ", "legacy@user.io", fakeHash)
			collisions, err := db.FillUsernameKeys(ctx)
			if err != nil {
				t.Fatalf("FillUsernameKeys: %v", err)
			}
			if len(collisions) != 1 || collisions[0].ID != second || collisions[0].OtherID != first {
				t.Fatalf("collisions = %+v, want user %d colliding with %d", collisions, second, first)
			}
			if !strings.Contains(collisions[0].String(), "Ｄｅｍｏ-ｌｉｔｉｏｎ") {
				t.Errorf("report %q does not name the look-alike", collisions[0])
			}
			if usernameKey(t, db, first) == "" || usernameKey(t, db, second) != "" || usernameKey(t, db, third) == "" {
				t.Errorf("keys: %q, %q, %q; want the first and third filled, the look-alike NULL",
					usernameKey(t, db, first), usernameKey(t, db, second), usernameKey(t, db, third))
			}
			if rows := userRows(t, db); len(rows) != 3 {
				t.Fatalf("%d users after filling keys, want all 3", len(rows))
			}
			// Each old name still finds its own row; the look-alike's by its exact name.
			for cred, want := range map[string]int64{"demo-lition": first, "Ｄｅｍｏ-ｌｉｔｉｏｎ": second, "look@user.io": second, "  legacy NAME  ": third} {
				if c, err := db.UserCredentials(ctx, cred); err != nil || c.ID != want {
					t.Errorf("UserCredentials(%q) = user %d, %v; want %d", cred, c.ID, err, want)
				}
			}
			if _, err := testdb.CreateUser(ctx, db, "Legacy name", "new@user.io", fakeHash); conflictFields(t, err) != "username" {
				t.Errorf("sign-up as the trimmed legacy name: %v, want a username conflict", err)
			}
			again, err := db.FillUsernameKeys(ctx)
			if err != nil || len(again) != 1 {
				t.Errorf("second FillUsernameKeys = %+v, %v; want the same one collision", again, err)
			}
		})
	})
}
