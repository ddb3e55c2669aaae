package main

import (
	"context"
	"log/slog"
	"time"

	"authme/internal/mail"
	"authme/internal/outbox"
	"authme/internal/recovery"
	"authme/internal/store"
)

// Limits on the endpoints that mail links: per client address (its own buckets, apart
// from log-in's) and per email address asked for, shared by every instance.
const (
	mailPerClientPerMinute  = 10
	mailPerClientBurst      = 20
	mailPerAddressPerMinute = 0.2 // one every five minutes, after the burst
	mailPerAddressBurst     = 3
)

// mailing is how this server sends mail: on (SMTP, or the log in development) or off.
type mailing struct {
	on   bool
	wake func() // tells the sender that a mail is queued
}

// wireMail chooses the transport (SMTP_URL; without it, the log in development, and no
// mail in production) and starts the outbox's sender among a's background loops.
func (e env) wireMail(db *store.DB, a *app) (mailing, error) {
	m := mailing{wake: func() {}}
	var t mail.Transport
	switch {
	case e.cfg.SMTPEnabled():
		st, err := mail.NewSMTP(e.cfg.SMTP, e.cfg.MailFrom)
		if err != nil {
			return m, err
		}
		t = st
		e.log.Info("mail: sending through SMTP", "server", e.cfg.SMTP.String(), "public_url", e.cfg.PublicURL)
	case !e.cfg.IsProduction():
		t = mail.NewLog(e.log)
		e.log.Info("mail: SMTP_URL is not set, so every mail is written to this log in full (development only)", "public_url", e.cfg.PublicURL)
	default:
		e.log.Warn("mail is off: SMTP_URL is not set, so password resets, email verification and change of email answer 503")
		return m, nil
	}
	mailer, err := recovery.NewMailer(db, t, e.cfg.PublicURL, e.cfg.ResetTokenTTL, time.Now)
	if err != nil {
		return m, err
	}
	opts := outbox.Options{Log: e.log}
	if a.metrics != nil {
		opts.Observe = a.metrics.CountMail
	}
	sender := outbox.NewWorker(db.Outbox(), mailer, opts)
	a.background = append(a.background, sender.Run)
	m.on, m.wake = true, sender.Notify
	return m, nil
}

// purgeTokensLoop deletes expired mailed tokens every interval until ctx ends.
func purgeTokensLoop(ctx context.Context, db *store.DB, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := db.PurgeExpiredTokens(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("purge expired tokens", "err", err)
			}
			if _, err := db.PurgeExpiredPendingLogins(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("purge expired log-in attempts", "err", err)
			}
			if _, err := db.PurgeExpiredChallenges(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("purge expired webauthn challenges", "err", err)
			}
		}
	}
}
