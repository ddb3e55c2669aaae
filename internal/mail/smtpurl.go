package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Security is how the connection to the SMTP server is protected.
type Security int

// The three ways to reach an SMTP server. StartTLS is the zero value, so a config that forgets
// to choose still refuses to send in plain.
const (
	StartTLS    Security = iota // smtp://: plain connection upgraded with STARTTLS, which must succeed
	ImplicitTLS                 // smtps://: TLS from the first byte
	NoTLS                       // smtp://...?tls=none: no encryption at all (Mailpit, local relays)
)

// String names s as it appears in an SMTP URL.
func (s Security) String() string {
	switch s {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "tls"
	case NoTLS:
		return "none"
	}
	return "Security(" + strconv.Itoa(int(s)) + ")"
}

// DefaultTimeout bounds connecting to the server and the whole conversation that sends a mail.
const DefaultTimeout = 10 * time.Second

// SMTPConfig says how to reach an SMTP server; ParseSMTPURL makes one from SMTP_URL.
type SMTPConfig struct {
	Host     string
	Port     int
	Security Security
	Username string // empty: no authentication
	Password string
	Timeout  time.Duration // 0: DefaultTimeout
	// TLS overrides the TLS settings (tests trust their own CA with it); nil verifies the
	// server's certificate for Host against the system roots.
	TLS *tls.Config
}

// String is the config as a URL with the password replaced by "xxxxx", safe to log.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: c.Host + ":" + strconv.Itoa(c.Port)}
	if strings.Contains(c.Host, ":") {
		u.Host = "[" + c.Host + "]:" + strconv.Itoa(c.Port)
	}
	switch c.Security {
	case ImplicitTLS:
		u.Scheme = "smtps"
	case NoTLS:
		u.RawQuery = "tls=none"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.Redacted()
}

// ParseSMTPURL reads an SMTP URL:
//
//	smtp://user:pass@host:587    STARTTLS, required (port 587 when none is given)
//	smtps://user:pass@host:465   implicit TLS (port 465 when none is given)
//	smtp://host:1025?tls=none    no TLS at all, only when the URL says so (port 25 when none is given)
//
// User name and password are percent-decoded. A URL with tls=none may not carry a password,
// which would cross the network in clear. Errors never quote the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	const form = "want smtp://[user:pass@]host[:port], smtps://... or smtp://host:port?tls=none"
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Error quotes the whole URL, and its inner error may quote part of the password.
		var ue *url.Error
		if errors.As(err, &ue) && !strings.Contains(raw, "@") {
			return SMTPConfig{}, fmt.Errorf("not a valid URL (%v); %s", ue.Err, form)
		}
		return SMTPConfig{}, fmt.Errorf("not a valid URL; %s", form)
	}
	var c SMTPConfig
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.Security, c.Port = StartTLS, 587
	case "smtps":
		c.Security, c.Port = ImplicitTLS, 465
	default:
		return SMTPConfig{}, fmt.Errorf("scheme %q is not smtp or smtps; %s", u.Scheme, form)
	}
	c.Host = u.Hostname()
	if u.Opaque != "" || c.Host == "" {
		return SMTPConfig{}, fmt.Errorf("no host; %s", form)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return SMTPConfig{}, fmt.Errorf("a path or fragment has no meaning here; %s", form)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("bad query (%v); %s", err, form)
	}
	for k := range q {
		if k != "tls" {
			return SMTPConfig{}, fmt.Errorf("unknown parameter %q: the only one is tls", k)
		}
	}
	switch tlsParam := q.Get("tls"); {
	case !q.Has("tls"):
	case c.Security == StartTLS && tlsParam == "none":
		c.Security, c.Port = NoTLS, 25
	case c.Security == StartTLS && tlsParam == "starttls":
	default:
		return SMTPConfig{}, fmt.Errorf("tls=%q is not allowed with %s://: smtp:// takes tls=none (no encryption) or tls=starttls (the default); smtps:// takes none", tlsParam, u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return SMTPConfig{}, fmt.Errorf("a password without a user name; %s", form)
		}
	}
	if c.Security == NoTLS && c.Password != "" {
		return SMTPConfig{}, errors.New("tls=none with a password would send the password in clear: use smtp:// (STARTTLS) or smtps://, or drop the password")
	}
	return c, nil
}
