// Package testkit holds the small helpers tests across authme share: a log sink the
// server writes while a test reads it, a clock a test moves by hand, and a hasher that
// does not hash.
package testkit

import (
	"bytes"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer safe for a logger and a test to use at once.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Clock is a time source that stands still until Advance moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// PlainHasher keeps passwords as "h:"+password: for tests about something other than
// hashing, where Argon2id would only cost time. It satisfies auth.PasswordHasher.
type PlainHasher struct{}

// Hash returns "h:"+pw.
func (PlainHasher) Hash(pw string) (string, error) { return "h:" + pw, nil }

// Verify reports whether hash is "h:"+pw; nothing ever needs rehashing.
func (PlainHasher) Verify(hash, pw string) (ok, rehash bool, err error) {
	return hash == "h:"+pw, false, nil
}
