// Package outbox sends mail that was written to an outbox table in the same transaction
// as what it reports, so a crash or a mail server that is down loses no mail: a Worker
// claims due rows, hands each to a Deliverer, and records the outcome, retrying with
// backoff. It knows no database; a Store does the SQL.
package outbox

import (
	"context"
	"errors"
	"time"
)

// Job is one outbox row: an intent to send a mail of a kind to an address.
type Job struct {
	ID        int64
	Kind      string            // what to send, such as "password-reset" (the kinds belong to the deliverer)
	UserID    int64             // the account concerned; 0 for none
	Email     string            // the address to send to
	Data      map[string]string // what the mail reports: requester address, browser, time, new email…
	CreatedAt time.Time         // when it was queued; also when it is first due
	// Attempts counts the claims of this row, the current one included. A Store uses it
	// to tell the current claim from an older one whose lease ran out (see ErrClaimLost).
	Attempts int
}

// ErrNothingToSend is returned (wrapped or not) by a Deliverer when a job needs no mail,
// such as a reset asked for an address no account has: the row is dropped, not retried.
var ErrNothingToSend = errors.New("outbox: nothing to send")

// ErrClaimLost is returned by a Store when a job's claim is no longer the row's current
// one: its lease ran out and another sender claimed it since, so the outcome is theirs to
// record.
var ErrClaimLost = errors.New("outbox: claim lost")

// permanent marks a delivery error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the Worker marks the job failed at once instead of
// retrying it: for a refused address or a template that cannot render, not for a mail
// server that is down.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Deliverer sends the mail a job stands for. Its error text is stored in the outbox row
// and logged, so it must never contain a token, a link or the mail's body: say what went
// wrong ("smtp: 451 try later"), not what was being sent. Returning ErrNothingToSend
// drops the job, Permanent(err) fails it, any other error retries it later.
type Deliverer interface {
	Deliver(ctx context.Context, j Job) error
}

// Store keeps the outbox. Claim takes up to n due, unclaimed rows (notBefore and
// lockedUntil at or before now, oldest notBefore first) for lease, counting an attempt on
// each; no two concurrent claims get the same row. The other methods record a claimed
// job's outcome and return ErrClaimLost when the job was claimed again since.
type Store interface {
	Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Job, error)
	MarkSent(ctx context.Context, j Job, at time.Time) error
	Retry(ctx context.Context, j Job, notBefore time.Time, lastError string) error
	Fail(ctx context.Context, j Job, at time.Time, lastError string) error
	Drop(ctx context.Context, j Job, at time.Time) error
	// Purge deletes rows that were sent, failed or dropped before before.
	Purge(ctx context.Context, before time.Time) (int64, error)
}
