package config

import (
	netmail "net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"authme/internal/mail"
)

// DefaultMailFrom is MAIL_FROM outside production when it is not set.
const DefaultMailFrom = "authme <no-reply@localhost>"

// readMail reads where mail goes, who it comes from and what its links point at.
//
// Without SMTP_URL, development writes each mail to the log and production runs with mail off
// (the mail endpoints answer 503), unless REQUIRE_VERIFIED_EMAIL is on: then nobody could log
// in, so production refuses to start. PUBLIC_URL must be https in production, except on a
// loopback host (a production build tried on one machine): links in mail carry tokens that
// grant an account, and http would show them to the network.
func readMail(r *reader, c *Config) {
	smtpSet := r.str("SMTP_URL") != ""
	if smtpSet {
		cfg, err := mail.ParseSMTPURL(r.str("SMTP_URL"))
		if err != nil {
			// err never quotes the password; the URL itself is not repeated.
			r.failf("SMTP_URL is not usable: %v", err)
		} else {
			c.SMTP = cfg
		}
	}

	c.MailFrom = r.str("MAIL_FROM")
	switch {
	case c.MailFrom == "" && c.IsProduction() && smtpSet:
		r.failf("MAIL_FROM is required in production when SMTP_URL is set, e.g. MAIL_FROM=\"authme <no-reply@example.com>\"")
	case c.MailFrom == "":
		c.MailFrom = DefaultMailFrom
	default:
		if _, err := netmail.ParseAddress(c.MailFrom); err != nil {
			r.failf("MAIL_FROM must be an address, optionally with a name (\"authme <no-reply@example.com>\"), not %q", c.MailFrom)
		}
	}

	c.PublicURL = strings.TrimSuffix(r.str("PUBLIC_URL"), "/")
	switch {
	case c.PublicURL == "" && c.IsProduction() && smtpSet:
		r.failf("PUBLIC_URL is required in production when SMTP_URL is set: the https address people open authme at (e.g. https://auth.example.com), the base of every link in mail")
	case c.PublicURL == "" && !c.IsProduction():
		c.PublicURL = "http://localhost:" + strconv.Itoa(c.Port)
	case c.PublicURL != "":
		if msg := checkPublicURL(c.PublicURL, c.IsProduction()); msg != "" {
			r.failf("PUBLIC_URL %s, not %q", msg, c.PublicURL)
		}
	}

	c.ResetTokenTTL = r.duration("RESET_TOKEN_TTL", 30*time.Minute)
	if c.ResetTokenTTL != 0 && (c.ResetTokenTTL < time.Minute || c.ResetTokenTTL > 24*time.Hour) {
		r.failf("RESET_TOKEN_TTL must be from 1m to 24h, not %v", c.ResetTokenTTL)
	}

	c.RequireVerifiedEmail = r.bool("REQUIRE_VERIFIED_EMAIL", false)
	if c.RequireVerifiedEmail && c.IsProduction() && !smtpSet {
		r.failf("REQUIRE_VERIFIED_EMAIL=true needs SMTP_URL in production: without mail nobody can verify an address, so nobody could log in")
	}
}

// checkPublicURL says what is wrong with PUBLIC_URL, or "" when it will do as the base of links.
func checkPublicURL(s string, production bool) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return "must be an http(s) URL such as https://auth.example.com"
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		return "must have no user, query or fragment: links are built by adding a path to it"
	case production && u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return "must be https in production (http only on localhost): links in mail carry tokens"
	}
	return ""
}

// loopbackHost reports whether host names this machine only.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// MailEnabled reports whether mail can be sent: through SMTP_URL, or into the log outside
// production.
func (c Config) MailEnabled() bool { return c.SMTPEnabled() || !c.IsProduction() }

// SMTPEnabled reports whether SMTP_URL names a server to send mail through.
func (c Config) SMTPEnabled() bool { return c.SMTP.Host != "" }

// PublicLink is PUBLIC_URL followed by path ("/reset-password").
func (c Config) PublicLink(path string) string { return c.PublicURL + path }
