package store

import (
	"context"
	"encoding/json"

	"authme/internal/login"
	"authme/internal/outbox"
)

// Enqueue (lead's stand-in until the outbox branch lands).
func (t *Tx) Enqueue(ctx context.Context, j outbox.Job) error {
	data, _ := json.Marshal(j.Data)
	var uid any
	if j.UserID != 0 {
		uid = j.UserID
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO "Outbox" ("kind", "userId", "email", "data", "createdAt", "notBefore") VALUES ($1, $2, $3, $4, $5, $5)`,
		j.Kind, uid, j.Email, string(data), j.CreatedAt.UnixMilli())
	return err
}

// Enqueue (lead's stand-in).
func (db *DB) Enqueue(ctx context.Context, j outbox.Job) error {
	return db.InTx(ctx, func(tx login.Tx) error { return tx.(*Tx).Enqueue(ctx, j) })
}
