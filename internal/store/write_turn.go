package store

// writeTurn waits for this process's turn to write to SQLite and returns the function
// that ends it; on PostgreSQL it returns at once.
//
// SQLite has one write lock for the whole file. Writers that find it taken sleep in
// its busy handler and try again, up to 100 ms at a time, so under a stream of small
// writes (a flood of reset requests: buckets and queue rows) a log-in's writes kept
// losing the race and waited seconds. Taking turns in the process first, in the order
// writers arrive (a channel's waiters are served first come, first served), leaves the
// busy handler only other processes to wait for. Reads never take a turn: WAL lets them
// run beside the writer.
//
// A function holding a turn must not call another that takes one: every caller below
// writes through its own statement or its own transaction (withTx), never both.
func (db *DB) writeTurn() func() {
	if db.writes == nil {
		return func() {}
	}
	db.writes <- struct{}{}
	return func() { <-db.writes }
}
