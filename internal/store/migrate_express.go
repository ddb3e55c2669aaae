package store

import (
	"context"
	"database/sql"
	"fmt"
)

// adoptableTable names the table whose presence means migration version already ran: a
// database made by the Express app's sequelize-cli has "Users" without authme's ledger.
// Its "SequelizeMeta" and "SequelizeData" tables are left as they are.
func adoptableTable(version int) (string, bool) {
	if version == 1 {
		return "Users", true
	}
	return "", false
}

// adopts reports whether migration m is to be recorded as done without running, because
// the Express app already made its table.
func (db *DB) adopts(ctx context.Context, tx *sql.Tx, m Migration) (bool, error) {
	table, ok := adoptableTable(m.Version)
	if !ok {
		return false, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.d.tableExists, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}
