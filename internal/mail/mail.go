// Package mail renders authme's mails from embedded templates and sends them, through SMTP
// or, in development, into the log.
package mail

import "context"

// Message is one rendered mail, addressed to one person.
type Message struct {
	To      string // the recipient's address
	Subject string // fixed per kind: never holds what a user typed
	Text    string // the plain-text part
	HTML    string // the HTML part, the same content as Text
}

// Transport delivers a Message; Send returns only once the mail is handed over or has failed.
type Transport interface {
	Send(ctx context.Context, m Message) error
}
