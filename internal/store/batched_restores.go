package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/session"
)

// On PostgreSQL every session restore is a round trip, and on a busy server the cost of
// a round trip (a write and a read on each side, and a wake-up of the server process)
// outweighs the index lookup it carries. BatchedRestores lets a few restore queries run
// at once (slots). A restore that finds a free slot and nobody waiting runs its query
// itself, so a quiet server pays nothing extra. Otherwise it queues, and a worker, once
// it gets a slot, takes everything queued (up to restoreBatchMax) and answers it with
// one `WHERE "id" = ANY($1)`: under load a batch grows by itself to the restores that
// arrived during the previous round trips.
//
// SQLite runs in-process, with no round trip to save: it keeps DB.SessionUser's single
// query, and is never wrapped.

// BatchedRestores is a PostgreSQL DB as a session store whose restores (SessionUser)
// share round trips under load; every other session method is the DB's own. It runs
// workers: Close stops them. The wiring chooses it for PostgreSQL and gives SQLite the
// plain DB.
type BatchedRestores struct {
	db    *DB
	slots chan struct{} // one token per restore query running
	queue chan *restoreLookup
	stop  chan struct{}
	once  sync.Once // Close may be called again, as sql.DB.Close may
	wg    sync.WaitGroup
	// lookups and queries count restores answered and the queries that answered them
	// (see Stats).
	lookups, queries atomic.Int64
}

// BatchRestores wraps db, which must be PostgreSQL (the batch query takes an array),
// and starts its workers. It allows half the pool's connections for restore queries at
// once: batches keep restores to a few round trips at a time, and the other connections
// stay free for log-ins, sign-ups and last-seen writes.
func BatchRestores(db *DB) (*BatchedRestores, error) {
	if db.d.name != "postgres" {
		return nil, fmt.Errorf("batch session restores: %s has no round trip to save; use the database itself", db.d.name)
	}
	slots := max(1, db.sql.Stats().MaxOpenConnections/2)
	b := &BatchedRestores{
		db:    db,
		slots: make(chan struct{}, slots),
		queue: make(chan *restoreLookup, restoreQueue),
		stop:  make(chan struct{}),
	}
	b.wg.Add(slots)
	for range slots {
		go b.work()
	}
	return b, nil
}

// Close stops the workers; lookups still queued are answered with an error, and later
// restores fail at once. The database stays open: whoever opened it closes it, after.
func (b *BatchedRestores) Close() error {
	b.once.Do(func() {
		close(b.stop)
		b.wg.Wait()
		for {
			select {
			case l := <-b.queue:
				l.reply <- restoreReply{err: errBatcherClosed}
			default:
				return
			}
		}
	})
	return nil
}

// SessionUser is DB.SessionUser, its query shared with the restores queued beside it.
func (b *BatchedRestores) SessionUser(ctx context.Context, id string, now, idleSince time.Time) (auth.User, session.Session, error) {
	ctx, cancel := b.db.deadline(ctx)
	defer cancel()
	u, s, err := b.lookup(ctx, id, now, idleSince)
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, session.Session{}, b.db.wrap(err, "load session")
	}
	return u, s, err
}

// RestoreStats describes batched restores: Lookups restores answered in Queries queries
// (their ratio is the mean batch size), and Waiting queued for a worker now.
type RestoreStats struct {
	Lookups, Queries int64
	Waiting          int
}

// Stats reads the counters, for metrics.
func (b *BatchedRestores) Stats() RestoreStats {
	return RestoreStats{Lookups: b.lookups.Load(), Queries: b.queries.Load(), Waiting: len(b.queue)}
}

// The rest of the session store is the database's own.

// TouchSession is DB.TouchSession.
func (b *BatchedRestores) TouchSession(ctx context.Context, id string, now time.Time) error {
	return b.db.TouchSession(ctx, id, now)
}

// DeleteSession is DB.DeleteSession.
func (b *BatchedRestores) DeleteSession(ctx context.Context, id string, e events.Event) error {
	return b.db.DeleteSession(ctx, id, e)
}

// UserSessions is DB.UserSessions.
func (b *BatchedRestores) UserSessions(ctx context.Context, userID int64, now, idleSince time.Time) ([]session.Session, error) {
	return b.db.UserSessions(ctx, userID, now, idleSince)
}

// DeleteUserSession is DB.DeleteUserSession.
func (b *BatchedRestores) DeleteUserSession(ctx context.Context, userID int64, id string, e events.Event) (bool, error) {
	return b.db.DeleteUserSession(ctx, userID, id, e)
}

// DeleteOtherSessions is DB.DeleteOtherSessions.
func (b *BatchedRestores) DeleteOtherSessions(ctx context.Context, userID int64, keep string, e events.Event) (int64, error) {
	return b.db.DeleteOtherSessions(ctx, userID, keep, e)
}

// PurgeExpiredSessions is DB.PurgeExpiredSessions.
func (b *BatchedRestores) PurgeExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	return b.db.PurgeExpiredSessions(ctx, now, idleSince)
}

const (
	// restoreBatchMax bounds one query's id list.
	restoreBatchMax = 64
	// restoreQueue is how many lookups may wait for a worker before callers block.
	restoreQueue = 1024
)

// batchRestoreQuery loads every listed session with its user. Liveness (expiry, idle
// time) is checked per lookup in Go, against the caller's own clock readings, exactly as
// sessionUserQuery's WHERE clause does; a disabled account's sessions are left out by
// the join, as there.
const batchRestoreQuery = `SELECT s."id", s."userId", s."expiresAt", s."lastSeenAt", u."username", u."email", u."emailVerifiedAt" FROM "Sessions" s
 JOIN "Users" u ON u."id" = s."userId" AND u."disabledAt" IS NULL
 WHERE s."id" = ANY($1)`

var errBatcherClosed = errors.New("session restores are closed")

// restoreLookup is one caller's session restore.
type restoreLookup struct {
	id             string
	now, idleSince int64
	reply          chan restoreReply // buffered: a worker never waits for a caller that gave up
}

type restoreReply struct {
	user    auth.User
	session session.Session
	err     error
}

// sessionRow is one row of batchRestoreQuery.
type sessionRow struct {
	userID            int64
	expires, lastSeen int64
	username, email   string
	verified          sql.NullInt64
}

// answer is l's reply given the rows (or error) of the query that looked it up.
func (l *restoreLookup) answer(rows map[string]sessionRow, err error) restoreReply {
	if err != nil {
		return restoreReply{err: err}
	}
	r, ok := rows[l.id]
	if !ok || r.expires <= l.now || r.lastSeen <= l.idleSince {
		return restoreReply{err: auth.ErrNotFound}
	}
	return restoreReply{
		user:    auth.User{ID: r.userID, Username: r.username, Email: r.email, EmailVerifiedAt: unixTime(r.verified)},
		session: session.Session{ID: l.id, UserID: r.userID, LastSeenAt: time.Unix(r.lastSeen, 0)},
	}
}

// lookup restores one session: at once when a slot is free and nobody is queued,
// otherwise in the next batch. ctx carries the call's deadline.
func (b *BatchedRestores) lookup(ctx context.Context, id string, now, idleSince time.Time) (auth.User, session.Session, error) {
	select {
	case <-b.stop:
		return auth.User{}, session.Session{}, errBatcherClosed
	default:
	}
	l := &restoreLookup{id: id, now: now.Unix(), idleSince: idleSince.Unix()}
	if len(b.queue) == 0 {
		select {
		case b.slots <- struct{}{}:
			rows, err := b.query(ctx, []string{id})
			<-b.slots
			b.count(1)
			r := l.answer(rows, err)
			return r.user, r.session, r.err
		default:
		}
	}
	l.reply = make(chan restoreReply, 1)
	select {
	case b.queue <- l:
	case <-b.stop:
		return auth.User{}, session.Session{}, errBatcherClosed
	case <-ctx.Done():
		return auth.User{}, session.Session{}, ctx.Err()
	}
	select {
	case r := <-l.reply:
		return r.user, r.session, r.err
	case <-b.stop:
		// Closing: the answer may have come in the meantime; no worker will give one later.
		select {
		case r := <-l.reply:
			return r.user, r.session, r.err
		default:
			return auth.User{}, session.Session{}, errBatcherClosed
		}
	case <-ctx.Done():
		return auth.User{}, session.Session{}, ctx.Err()
	}
}

// work answers queued lookups in batches: it waits for one, then for a slot, and only
// then takes the rest, so a batch holds everything that queued while the slots were busy.
func (b *BatchedRestores) work() {
	defer b.wg.Done()
	batch := make([]*restoreLookup, 0, restoreBatchMax)
	for {
		select {
		case l := <-b.queue:
			batch = append(batch[:0], l)
		case <-b.stop:
			return
		}
		select {
		case b.slots <- struct{}{}:
		case <-b.stop:
			batch[0].reply <- restoreReply{err: errBatcherClosed}
			return
		}
	drain:
		for len(batch) < restoreBatchMax {
			select {
			case l := <-b.queue:
				batch = append(batch, l)
			default:
				break drain
			}
		}
		b.answer(batch)
		<-b.slots
		clear(batch) // let the answered lookups go
	}
}

// answer runs one query for batch and replies to each lookup in it.
func (b *BatchedRestores) answer(batch []*restoreLookup) {
	ids := make([]string, len(batch))
	for i, l := range batch {
		ids[i] = l.id
	}
	// The batch is not any one caller's: it gets a call deadline of its own, and a caller
	// that stops waiting does not cancel the others' answers.
	ctx, cancel := b.db.deadline(context.Background())
	rows, err := b.query(ctx, ids)
	cancel()
	b.count(len(batch))
	for _, l := range batch {
		l.reply <- l.answer(rows, err)
	}
}

func (b *BatchedRestores) count(lookups int) {
	b.queries.Add(1)
	b.lookups.Add(int64(lookups))
}

// query loads the sessions ids name, with their users, by id.
func (b *BatchedRestores) query(ctx context.Context, ids []string) (map[string]sessionRow, error) {
	st, err := b.db.prepared(ctx, batchRestoreQuery)
	if err != nil {
		return nil, err
	}
	rs, err := st.QueryContext(ctx, ids)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	found := make(map[string]sessionRow, len(ids))
	for rs.Next() {
		var id string
		var r sessionRow
		if err := rs.Scan(&id, &r.userID, &r.expires, &r.lastSeen, &r.username, &r.email, &r.verified); err != nil {
			return nil, err
		}
		found[id] = r
	}
	return found, rs.Err()
}
