// Package mail: lead's stand-in until the mail branch lands.
package mail

import (
	"context"
	"time"
)

type Message struct{ To, Subject, Text, HTML string }
type Transport interface {
	Send(ctx context.Context, m Message) error
}
type Request struct {
	Time             time.Time
	Address, Browser string
}
type Data struct {
	To, Username, Link string
	Expires            time.Duration
	NewEmail, OldEmail string
	Request            Request
}

func Render(kind string, d Data) (Message, error) { return Message{To: d.To, Subject: kind, Text: d.Link}, nil }
