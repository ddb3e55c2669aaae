// Package outbox: placeholder for the lead's branch until the outbox branch lands.
package outbox

import (
	"errors"
	"time"
)

// Job is one mail to send, as an intent.
type Job struct {
	ID        int64
	Kind      string
	UserID    int64
	Email     string
	Data      map[string]string
	CreatedAt time.Time
	Attempts  int
}

var ErrNothingToSend = errors.New("nothing to send")

func Permanent(err error) error { return err }
