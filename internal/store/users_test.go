package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"authme/internal/auth"
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
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := db.CreateUser(ctx, tt.username, tt.email, fakeHash)
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
				_, errs[i] = db.CreateUser(ctx, names[i%len(names)], fmt.Sprintf("racer%d@user.io", i), fakeHash)
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

		for _, cred := range []string{"Demo-lition", "demo-lition", "DEMO-LITION", "demo@user.io", "DEMO@USER.IO", "Demo@User.io"} {
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
			"TrailingSpace":      "Demo-lition ",
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
