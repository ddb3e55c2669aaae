package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*
var templates embed.FS

// Data is what a mail may show; which fields a kind needs is checked by Render.
type Data struct {
	To       string        // the recipient's address
	Username string        // greeting; optional
	Link     string        // the action link, built from PUBLIC_URL
	Expires  time.Duration // how long Link works
	NewEmail string        // email-change kinds: the address asked for
	OldEmail string        // email-changed: the address the account had
	// Remaining is how many recovery codes the account has left (recovery-code-used).
	Remaining int
	// Name is the passkey's name (passkey-added, passkey-removed).
	Name    string
	Request Request // who asked for this mail
}

// Request describes the request that led to a mail, so the person can tell whether it was them.
type Request struct {
	Time    time.Time // shown in UTC
	Address string    // the client's IP address
	Browser string    // the User-Agent header as sent; Render shows DescribeUserAgent of it
}

// needs lists what a kind cannot be rendered without.
type needs struct{ link, expires, newEmail, oldEmail bool }

// kinds are the mails Render knows, by the names the outbox stores.
func kindNeeds(kind string) (needs, bool) {
	switch kind {
	case "password-reset":
		return needs{link: true, expires: true}, true
	case "password-changed":
		return needs{}, true
	case "verify-email":
		return needs{link: true}, true
	case "email-change-confirm":
		return needs{link: true, newEmail: true}, true
	case "email-change-notice":
		return needs{newEmail: true}, true
	case "email-changed":
		return needs{link: true, expires: true, newEmail: true, oldEmail: true}, true
	case "totp-enabled", "totp-disabled", "recovery-code-used", "passkey-added", "passkey-removed":
		return needs{}, true
	}
	return needs{}, false
}

// view is Data as the templates show it.
type view struct {
	Data
	Expires string // "30 minutes"
	When    string // "2 December 2026 at 02:00 UTC"
	Address string
	Browser string
}

// Render makes the mail of the given kind ("password-reset", "password-changed",
// "verify-email", "email-change-confirm", "email-change-notice", "email-changed") from the
// embedded templates: a plain-text part and an HTML part in which everything from d is escaped.
func Render(kind string, d Data) (Message, error) {
	n, ok := kindNeeds(kind)
	if !ok {
		return Message{}, fmt.Errorf("render mail: unknown kind %q", kind)
	}
	var missing []string
	for _, f := range []struct {
		need, have bool
		name       string
	}{
		{true, d.To != "", "To"},
		{n.link, d.Link != "", "Link"},
		{n.expires, d.Expires > 0, "Expires"},
		{n.newEmail, d.NewEmail != "", "NewEmail"},
		{n.oldEmail, d.OldEmail != "", "OldEmail"},
	} {
		if f.need && !f.have {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Message{}, fmt.Errorf("render mail %q: missing %s", kind, strings.Join(missing, ", "))
	}
	v := view{Data: d, Expires: humanDuration(d.Expires), When: "an unknown time", Address: d.Request.Address,
		Browser: DescribeUserAgent(d.Request.Browser)}
	if !d.Request.Time.IsZero() {
		v.When = d.Request.Time.UTC().Format("2 January 2006 at 15:04 UTC")
	}
	if v.Address == "" {
		v.Address = "unknown"
	}

	tt, err := texttemplate.ParseFS(templates, "templates/layout.txt", "templates/"+kind+".txt")
	if err != nil {
		return Message{}, fmt.Errorf("render mail %q: %w", kind, err)
	}
	ht, err := htmltemplate.ParseFS(templates, "templates/layout.html", "templates/"+kind+".html")
	if err != nil {
		return Message{}, fmt.Errorf("render mail %q: %w", kind, err)
	}
	var subject, text, html bytes.Buffer
	if err := errors.Join(
		tt.ExecuteTemplate(&subject, "subject", v),
		tt.ExecuteTemplate(&text, "page", v),
		ht.ExecuteTemplate(&html, "page", v),
	); err != nil {
		return Message{}, fmt.Errorf("render mail %q: %w", kind, err)
	}
	return Message{To: d.To, Subject: subject.String(), Text: text.String(), HTML: html.String()}, nil
}

// humanDuration writes d in the largest whole unit that fits: "30 minutes", "1 hour", "7 days".
func humanDuration(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return strconv.FormatInt(n, 10) + " " + name + "s"
	}
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d/time.Second), "second")
}
