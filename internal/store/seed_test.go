package store_test

import (
	"context"
	"testing"

	"authme/internal/store"
	"authme/internal/testdb"
)

// checkDemoUsers fails unless every demo user is stored with a hash of their password.
func checkDemoUsers(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	for _, d := range store.DemoUsers {
		c, err := db.UserCredentials(ctx, d.Username)
		if err != nil {
			t.Errorf("demo user %s: %v", d.Username, err)
			continue
		}
		if c.Username != d.Username || c.Email != d.Email {
			t.Errorf("demo user stored as %q / %q, want %q / %q", c.Username, c.Email, d.Username, d.Email)
		}
		if ok, _, err := cheapHasher.Verify(c.PasswordHash, d.Password); err != nil || !ok {
			t.Errorf("demo user %s: password %q does not verify (%v)", d.Username, d.Password, err)
		}
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if got := len(store.DemoUsers); got != 3 {
		t.Fatalf("DemoUsers has %d users, want the seed's 3", got)
	}
	want := map[string][2]string{
		"Demo-lition": {"demo@user.io", "password"},
		"FakeUser1":   {"user1@user.io", "password2"},
		"FakeUser2":   {"user2@user.io", "password3"},
	}
	for _, d := range store.DemoUsers {
		if w, ok := want[d.Username]; !ok || w != [2]string{d.Email, d.Password} {
			t.Errorf("demo user %+v is not the seed's", d)
		}
	}

	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("InsertsDemoUsersOnce", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			ran, err := db.Seed(ctx, cheapHasher)
			if err != nil || !ran {
				t.Fatalf("Seed = %v, %v; want true, nil", ran, err)
			}
			checkDemoUsers(t, db)
			before := userRows(t, db)
			if got := usernames(before); got != "Demo-lition,FakeUser1,FakeUser2" {
				t.Errorf("users after Seed = %s", got)
			}

			ran, err = db.Seed(ctx, cheapHasher)
			if err != nil || ran {
				t.Errorf("second Seed = %v, %v; want false, nil", ran, err)
			}
			after := userRows(t, db)
			if len(after) != 3 {
				t.Fatalf("%d users after second Seed, want 3", len(after))
			}
			for i := range after {
				if after[i] != before[i] {
					t.Errorf("second Seed changed %+v to %+v", before[i], after[i])
				}
			}
			if n, err := db.UserCount(ctx); err != nil || n != 3 {
				t.Errorf("UserCount = %d, %v; want 3", n, err)
			}
		})

		t.Run("UnseedRemovesExactlyTheDemoUsers", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			if _, err := db.Seed(ctx, cheapHasher); err != nil {
				t.Fatal(err)
			}
			kept := mustCreateUser(t, db, "RealPerson", "real@user.io")
			n, err := db.Unseed(ctx)
			if err != nil || n != 3 {
				t.Fatalf("Unseed = %d, %v; want 3", n, err)
			}
			rows := userRows(t, db)
			if len(rows) != 1 || rows[0].ID != kept.ID {
				t.Errorf("users after Unseed = %+v, want only %+v", rows, kept)
			}
			if n, err := db.Unseed(ctx); err != nil || n != 0 {
				t.Errorf("second Unseed = %d, %v; want 0", n, err)
			}
			// The seed's record went with its users, so it can run again.
			if ran, err := db.Seed(ctx, cheapHasher); err != nil || !ran {
				t.Errorf("Seed after Unseed = %v, %v; want true", ran, err)
			}
			checkDemoUsers(t, db)
		})

		t.Run("SkipsTakenNamesAndUnseedKeepsLookalikes", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			lookalike := mustCreateUser(t, db, "demo-lition", "someone@user.io")
			emailTaken := mustCreateUser(t, db, "SomeoneElse", "USER1@user.io")
			ran, err := db.Seed(ctx, cheapHasher)
			if err != nil || !ran {
				t.Fatalf("Seed = %v, %v; want true", ran, err)
			}
			if got := usernames(userRows(t, db)); got != "FakeUser2,SomeoneElse,demo-lition" {
				t.Errorf("users after Seed = %s; want the taken demo names skipped", got)
			}
			if n, err := db.Unseed(ctx); err != nil || n != 1 {
				t.Errorf("Unseed = %d, %v; want 1 (only FakeUser2 was seeded)", n, err)
			}
			for _, u := range []string{lookalike.Username, emailTaken.Username} {
				if _, err := db.UserCredentials(ctx, u); err != nil {
					t.Errorf("Unseed removed non-demo user %s: %v", u, err)
				}
			}
		})
	})
}
