package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTransport sends each mail over its own SMTP connection.
type smtpTransport struct {
	cfg    SMTPConfig
	from   string // the From header, as given
	domain string // the From address's domain, for Message-IDs
}

// NewSMTP returns a Transport that sends through the server cfg names, with From set to from
// (an address, optionally with a name: "authme <no-reply@example.com>").
func NewSMTP(cfg SMTPConfig, from string) (Transport, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail from %q: %w", from, err)
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("smtp %s: no host", cfg)
	}
	_, domain, _ := strings.Cut(addr.Address, "@")
	return &smtpTransport{cfg: cfg, from: addr.String(), domain: domain}, nil
}

// Send connects, authenticates when the config has a user, sends m and quits. The connection
// and the whole conversation end after the config's timeout or ctx's deadline, whichever is
// sooner; a cancelled ctx stops the dial.
func (t *smtpTransport) Send(ctx context.Context, m Message) error {
	msg, err := t.message(m)
	if err != nil {
		return err
	}
	timeout := t.cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return fmt.Errorf("smtp send: %w", context.DeadlineExceeded)
		}
		timeout = min(timeout, left)
	}
	opts := []gomail.Option{gomail.WithPort(t.cfg.Port), gomail.WithTimeout(timeout)}
	if t.cfg.TLS != nil {
		tc := t.cfg.TLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = t.cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	switch t.cfg.Security {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return fmt.Errorf("smtp send: unknown security %v", t.cfg.Security)
	}
	if t.cfg.Username != "" {
		// Auto-discovery picks the strongest mechanism the server offers, and refuses
		// PLAIN and LOGIN on a connection that is not encrypted.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(t.cfg.Username), gomail.WithPassword(t.cfg.Password))
	}
	c, err := gomail.NewClient(t.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client for %s: %w", t.cfg, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send via %s:%d (%s): %w", t.cfg.Host, t.cfg.Port, t.cfg.Security, err)
	}
	return nil
}

// message builds the MIME message: From, To, Subject, Date, Message-ID and a
// multipart/alternative body of the text and HTML parts.
func (t *smtpTransport) message(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(t.from); err != nil {
		return nil, fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("message id: %w", err)
	}
	msg.SetMessageIDWithValue(hex.EncodeToString(id) + "@" + t.domain)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}
