package login

import (
	"time"

	"authme/internal/events"
	"authme/internal/outbox"
)

// maxUserAgent bounds the User-Agent kept in a queued mail: the mail shows a short
// description of the browser, and the header is the client's to make as long as it likes.
const maxUserAgent = 512

// Requester is what a queued mail says of who asked: the client's address and browser,
// and when.
func (c Client) Requester(at time.Time) map[string]string {
	ua := c.UserAgent
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return map[string]string{
		outbox.DataAddress:   c.Address,
		outbox.DataUserAgent: ua,
		outbox.DataAt:        at.UTC().Format(time.RFC3339),
	}
}

// Origin is the client as a security event records it, with the session the event is
// about (the one it started, or the one the request came with).
func (c Client) Origin(sessionID string) events.Origin {
	return events.Origin{Address: c.Address, UserAgent: c.UserAgent, SessionID: sessionID}
}
