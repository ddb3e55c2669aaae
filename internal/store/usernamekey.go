package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"authme/internal/auth"
)

// UsernameCollision is a stored user whose username has the same key as an older
// user's: the two names look alike. The row is kept, without a key, and still logs in
// by its exact name (ignoring case); an operator should rename one of them.
type UsernameCollision struct {
	ID       int64
	Username string
	// OtherID and Other are the user who holds the key.
	OtherID int64
	Other   string
}

// String says what the collision is, for the operator.
func (c UsernameCollision) String() string {
	return fmt.Sprintf("user %d %q looks like user %d %q: it keeps no username key, so new look-alikes of it are not refused; rename one of them",
		c.ID, c.Username, c.OtherID, c.Other)
}

// FillUsernameKeys computes the key of every user who has none (rows from before
// migration 0005, or inserted since by another app such as the Express original, which
// does not know the column) and returns the rows left without one because an older
// user holds their key. It is idempotent, and costs one indexed read when every row
// has its key.
func (db *DB) FillUsernameKeys(ctx context.Context) ([]UsernameCollision, error) {
	type row struct {
		id   int64
		name string
	}
	var missing []row
	rows, err := db.sql.QueryContext(ctx, `SELECT "id", "username" FROM "Users" WHERE "usernameKey" IS NULL ORDER BY "id"`)
	if err != nil {
		return nil, db.wrap(err, "find users without a username key")
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name); err != nil {
			rows.Close()
			return nil, db.wrap(err, "find users without a username key")
		}
		missing = append(missing, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "find users without a username key")
	}
	var out []UsernameCollision
	for _, r := range missing {
		c, err := db.fillUsernameKey(ctx, r.id, r.name)
		if err != nil {
			return out, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// fillUsernameKey stores the key of user id, named name, unless another user holds it;
// then it returns who does.
func (db *DB) fillUsernameKey(ctx context.Context, id int64, name string) (*UsernameCollision, error) {
	defer db.writeTurn()()
	key := auth.UsernameMatchKey(name)
	if key == "" {
		return nil, nil // nothing visible to compare: lower() alone guards this name
	}
	res, err := db.sql.ExecContext(ctx,
		`UPDATE "Users" SET "usernameKey" = $1
		 WHERE "id" = $2 AND "usernameKey" IS NULL
		   AND NOT EXISTS (SELECT 1 FROM "Users" WHERE "usernameKey" = $1)`, key, id)
	_, dup := db.d.uniqueViolation(err) // another process filled a look-alike meanwhile
	if err != nil && !dup {
		return nil, db.wrap(err, "fill username key of user %d", id)
	}
	if !dup {
		if n, _ := res.RowsAffected(); n > 0 {
			return nil, nil
		}
	}
	c := UsernameCollision{ID: id, Username: name}
	err = db.sql.QueryRowContext(ctx, `SELECT "id", "username" FROM "Users" WHERE "usernameKey" = $1`, key).Scan(&c.OtherID, &c.Other)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // the row went, or was filled by another process
	}
	if err != nil {
		return nil, db.wrap(err, "find the user holding the username key of user %d", id)
	}
	if c.OtherID == id {
		return nil, nil
	}
	return &c, nil
}
