package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DemoUser is one of the seed's demo accounts.
type DemoUser struct {
	Username, Email, Password string
}

// DemoUsers are the seed's demo-user seeder's accounts.
var DemoUsers = []DemoUser{
	{"Demo-lition", "demo@user.io", "password"},
	{"FakeUser1", "user1@user.io", "password2"},
	{"FakeUser2", "user2@user.io", "password3"},
}

// demoSeed is the ledger name of the demo-user seeder, recorded like sequelize's
// seederStorage "sequelize", so seeding twice changes nothing.
const demoSeed = "demo-user"

// Hasher makes password hashes for seeded accounts.
type Hasher interface {
	Hash(password string) (string, error)
}

// Seed inserts the demo users unless the seed is already recorded, skipping any whose
// username or email is taken. It reports whether it ran.
func (db *DB) Seed(ctx context.Context, h Hasher) (bool, error) {
	if err := db.requireMigrated(ctx); err != nil {
		return false, err
	}
	hashes := make([]string, len(DemoUsers))
	for i, u := range DemoUsers {
		var err error
		if hashes[i], err = h.Hash(u.Password); err != nil {
			return false, fmt.Errorf("seed %s: %w", u.Username, err)
		}
	}
	ran := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM "AuthmeSeeds" WHERE "name" = $1`, demoSeed).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for i, u := range DemoUsers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO "Users" ("username", "email", "hashedPassword") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				u.Username, u.Email, []byte(hashes[i])); err != nil {
				return fmt.Errorf("insert %s: %w", u.Username, err)
			}
		}
		ran = true
		_, err := tx.ExecContext(ctx, `INSERT INTO "AuthmeSeeds" ("name", "appliedAt") VALUES ($1, $2)`, demoSeed, time.Now().Unix())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("seed demo users: %w", err)
	}
	return ran, nil
}

// Unseed removes exactly the demo users (and with them their sessions) and the seed's
// record. It returns how many users it removed.
func (db *DB) Unseed(ctx context.Context) (int64, error) {
	if err := db.requireMigrated(ctx); err != nil {
		return 0, err
	}
	var removed int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, u := range DemoUsers {
			res, err := tx.ExecContext(ctx, `DELETE FROM "Users" WHERE "username" = $1`, u.Username)
			if err != nil {
				return fmt.Errorf("delete %s: %w", u.Username, err)
			}
			n, _ := res.RowsAffected()
			removed += n
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM "AuthmeSeeds" WHERE "name" = $1`, demoSeed)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove demo users: %w", err)
	}
	return removed, nil
}

// UserCount counts users, so start-up can tell an empty database.
func (db *DB) UserCount(ctx context.Context) (int64, error) {
	ctx, cancel := db.deadline(ctx)
	defer cancel()
	var n int64
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM "Users"`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

func (db *DB) requireMigrated(ctx context.Context) error {
	n, err := db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return ErrPendingMigrations
	}
	return nil
}
