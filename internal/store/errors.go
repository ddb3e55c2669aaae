package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"authme/internal/auth"
)

// unavailableRetry is the Retry-After suggested while the database is unreachable.
const unavailableRetry = 2 * time.Second

// wrap adds context to err and marks it unavailable (503, not 500) when the database
// could not be reached or did not answer in time: that is an outage to retry, not a bug.
func (db *DB) wrap(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if unreachable(err) {
		return auth.Unavailable(unavailableRetry, fmt.Errorf("%s: %w", msg, err))
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// unreachable reports whether err means the database is down, overloaded or too slow,
// rather than that a statement was wrong.
func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, errBatcherClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P0x: shutting down or starting; 53300: too
		// many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	if pgconn.Timeout(err) {
		return true
	}
	var sqliteErr *msqlite.Error
	if errors.As(err, &sqliteErr) {
		code := sqliteErr.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection refused")
}
