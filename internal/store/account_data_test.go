package store_test

import (
	"context"
	"testing"
	"time"

	"authme/internal/outbox"
	"authme/internal/testdb"
)

// TestAccountProfileReadsEveryTimeFormat: the Express app writes "createdAt" and
// "updatedAt" its own way on SQLite (CURRENT_TIMESTAMP's text from the seed, Sequelize's
// with milliseconds and an offset from a sign-up); an export reads them as the times
// they are, on both databases.
func TestAccountProfileReadsEveryTimeFormat(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := tg.Express(t)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			id   int64
			want time.Time
		}{
			{"SeededByExpress", 1, time.Date(2026, 11, 26, 5, 50, 16, 0, time.UTC)},
			{"SignedUpOnExpress", 4, time.Date(2026, 11, 26, 5, 50, 30, 452e6, time.UTC)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tg.Dialect == "postgres" {
					// A timestamp there: the fixture's seed wrote now(), read it back.
					if err := db.SQL().QueryRow(`SELECT "createdAt" FROM "Users" WHERE "id" = $1`, tc.id).Scan(&tc.want); err != nil {
						t.Fatal(err)
					}
				}
				p, err := db.AccountProfile(ctx, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				if !p.CreatedAt.Equal(tc.want) || !p.UpdatedAt.Equal(tc.want) {
					t.Errorf("createdAt %v, updatedAt %v, want %v", p.CreatedAt, p.UpdatedAt, tc.want)
				}
			})
		}
	})
}

// TestAccountMailByAddress: a reset asked for by address names no account; it is still
// the account's mail, to export and to delete, and another address's is not.
func TestAccountMailByAddress(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := tg.Migrated(t)
		u := mustCreateUser(t, db, "mailed1", "Mailed1@Example.org")
		other := mustCreateUser(t, db, "mailed2", "mailed2@example.org")
		now := time.Now()
		for _, j := range []outbox.Job{
			{Kind: outbox.KindPasswordReset, Email: "mailed1@example.org", CreatedAt: now},       // by address, other case
			{Kind: outbox.KindPasswordChanged, UserID: u.ID, Email: u.Email, CreatedAt: now},     // names the account
			{Kind: outbox.KindPasswordReset, Email: "mailed2@example.org", CreatedAt: now},       // another's address
			{Kind: outbox.KindPasswordReset, Email: "nobody@example.org", CreatedAt: now},        // no account's
			{Kind: outbox.KindPasswordChanged, UserID: other.ID, Email: u.Email, CreatedAt: now}, // another's row, to this address
		} {
			if err := db.Enqueue(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		mail, err := db.AccountMail(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(mail) != 2 || mail[0].Kind != outbox.KindPasswordChanged || mail[1].Email != "mailed1@example.org" {
			t.Fatalf("AccountMail = %+v, want the row naming it and the reset to its address", mail)
		}
		if err := db.DeleteAccount(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM "Outbox"`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 3 {
			t.Errorf("%d outbox rows left, want the 3 that are not the deleted account's", left)
		}
	})
}
