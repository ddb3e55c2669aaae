package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver authme's store uses too
)

// benchSchema names a schema of this run's own, so a benchmark never touches real data
// and two runs never collide; `authme migrate` creates it.
func benchSchema() string {
	return fmt.Sprintf("authme_bench_%d", time.Now().UnixNano())
}

// dropSchema removes the run's schema and everything in it.
func dropSchema(databaseURL, schema string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The name is ours (benchSchema), never user input, so quoting it is enough.
	_, err = db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
	return err
}
