package securitytest

import (
	"bytes"
	"context"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/httpapi"
	"authme/internal/login"
	"authme/internal/mail"
	"authme/internal/mfa"
	"authme/internal/outbox"
	"authme/internal/passkey"
	"authme/internal/recovery"
	"authme/internal/session"
	"authme/internal/store"
)

// wireMail adds the mail flows as cmd/authme wires them: recovery's Service, the
// outbox's sender running the Mailer over tr until the test ends. The per-client and
// per-address buckets are read and written on every request as in production, with
// limits no test reaches. The second factors come with them, under a key of the test's
// own, since production asks them in the same flows (log-in, reset, change of email),
// and passkeys, whose changes ask them too.
func wireMail(t *testing.T, db *store.DB, tr mail.Transport) func(*httpapi.Deps, *auth.Service) {
	t.Helper()
	return func(d *httpapi.Deps, users *auth.Service) {
		mailer, err := recovery.NewMailer(db, tr, "http://localhost:8000", 30*time.Minute, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		sender := outbox.NewWorker(db.Outbox(), mailer, outbox.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); sender.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		keys, err := mfa.ParseKeys(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k"), mfa.KeySize)))
		if err != nil {
			t.Fatal(err)
		}
		factors := mfa.New(db, users, mfa.Options{Keys: keys, Notify: true, Wake: sender.Notify})
		d.Factors = factors
		// Passkeys for a page at http://localhost:8000, as development serves it.
		pk, err := passkey.New(passkey.Settings{RPID: "localhost", Origins: []string{"http://localhost:8000"}}, db, users,
			passkey.Options{Factors: factors, Notify: true, Wake: sender.Notify})
		if err != nil {
			t.Fatal(err)
		}
		d.Passkeys = pk
		// Reset links are read, and notices mailed, as production's login service does.
		d.Accounts = login.New(users, d.Sessions.(*session.Manager), db, login.WithMail(db), login.WithSecondFactors(factors, db), login.WithPasskeys(pk))
		d.MailLimiter = db.Scoped("mail:", 1e6, 1<<20, time.Now)
		d.Recovery = recovery.New(db, users, recovery.Options{
			MailOn:   true,
			PerEmail: db.Scoped("mail-to:", 1e6, 1<<20, time.Now),
			Wake:     sender.Notify,
			Factors:  factors,
		})
	}
}

// countingTransport counts the mails sent to each address, and keeps nothing else.
type countingTransport struct {
	mu sync.Mutex
	to map[string]int
}

func (c *countingTransport) Send(_ context.Context, m mail.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.to[m.To]++
	return nil
}

func (c *countingTransport) count(addr string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.to[addr]
}
