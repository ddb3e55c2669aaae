package mail

import (
	"context"
	"log/slog"
)

// logTransport writes each mail to the log instead of sending it.
type logTransport struct{ log *slog.Logger }

// NewLog returns the development Transport: each mail, link included, goes to log at Info so
// the flows work without a mail server. Never use it in production: the links it logs grant
// access to accounts.
func NewLog(log *slog.Logger) Transport { return logTransport{log: log} }

// Send logs m whole, text part included; the HTML part says the same and is left out.
func (t logTransport) Send(ctx context.Context, m Message) error {
	t.log.InfoContext(ctx, "mail (development: written to the log, not sent)",
		"to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}
