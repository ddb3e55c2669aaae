package main

import (
	"context"
	"fmt"
	"time"
)

// migrate runs `authme migrate [up|down|status]`.
func (e env) migrate(ctx context.Context, args []string) error {
	sub := "up"
	if len(args) > 0 {
		sub = args[0]
	}
	if len(args) > 1 {
		return usageError("migrate takes at most one argument")
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "up":
		done, err := db.Migrate(ctx)
		for _, m := range done {
			how := "applied"
			if m.Adopted {
				how = "adopted existing table for"
			}
			fmt.Fprintf(e.stdout, "%s %04d_%s\n", how, m.Version, m.Name)
			for _, n := range m.Notes {
				fmt.Fprintf(e.stdout, "  note: %s\n", n)
			}
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(e.stdout, "no pending migrations")
		}
		return nil
	case "down":
		m, ok, err := db.MigrateDown(ctx)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(e.stdout, "no migration to undo")
			return nil
		}
		fmt.Fprintf(e.stdout, "undid %04d_%s\n", m.Version, m.Name)
		return nil
	case "status":
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range st {
			state := "pending"
			if m.Applied {
				state = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
				if m.Adopted {
					state += " (adopted)"
				}
			}
			fmt.Fprintf(e.stdout, "%04d_%-32s %s\n", m.Version, m.Name, state)
		}
		return nil
	}
	return usageError(fmt.Sprintf("unknown migrate command %q (want up, down or status)", sub))
}

// seed runs `authme seed [up|down]`.
func (e env) seed(ctx context.Context, args []string) error {
	sub := "up"
	if len(args) > 0 {
		sub = args[0]
	}
	if len(args) > 1 || (sub != "up" && sub != "down") {
		return usageError("seed takes one optional argument: up or down")
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "down" {
		n, err := db.Unseed(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "removed %d demo users\n", n)
		return nil
	}
	ran, err := db.Seed(ctx, e.hasher())
	if err != nil {
		return err
	}
	if ran {
		fmt.Fprintln(e.stdout, "seeded the demo users (Demo-lition, FakeUser1, FakeUser2)")
	} else {
		fmt.Fprintln(e.stdout, "demo users already seeded")
	}
	return nil
}
