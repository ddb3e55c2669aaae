package recovery

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/mail"
	"authme/internal/outbox"
	"authme/internal/tokens"
)

// How long each kind of link works. A reset's is a setting (RESET_TOKEN_TTL).
const (
	VerifyTTL      = 24 * time.Hour
	EmailChangeTTL = 24 * time.Hour
	UndoTTL        = 7 * 24 * time.Hour
)

// Paths of the page that each link opens, under PUBLIC_URL; the token is in the
// fragment, which browsers send to no server and put in no Referer.
const (
	PathReset       = "/reset-password"
	PathVerify      = "/verify-email"
	PathEmailChange = "/confirm-email"
	PathEmailUndo   = "/undo-email-change"
)

// Accounts reads the accounts a queued mail is about.
type Accounts interface {
	login.Store
	UserByEmail(ctx context.Context, email string) (auth.User, error)
	UserCredentialsByID(ctx context.Context, id int64) (auth.Credentials, error)
}

// Mailer turns queued jobs into mails (the outbox's Deliverer): it looks the account
// up, makes the link's token (voiding the account's older ones of the kind), renders the
// mail and sends it. A job for an address with no account is dropped here, off the
// request path.
type Mailer struct {
	accounts  Accounts
	transport mail.Transport
	base      *url.URL // PUBLIC_URL: every link starts with it, never with a request's Host
	resetTTL  time.Duration
	now       func() time.Time
}

// NewMailer returns a Mailer that sends through t with links under publicURL.
func NewMailer(a Accounts, t mail.Transport, publicURL string, resetTTL time.Duration, now func() time.Time) (*Mailer, error) {
	base, err := url.Parse(strings.TrimRight(publicURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("mailer: PUBLIC_URL %q is not an http(s) URL", publicURL)
	}
	if now == nil {
		now = time.Now
	}
	return &Mailer{accounts: a, transport: t, base: base, resetTTL: resetTTL, now: now}, nil
}

// Deliver sends the mail j asks for. Errors never hold a token: the outbox stores them.
func (m *Mailer) Deliver(ctx context.Context, j outbox.Job) error {
	u, err := m.account(ctx, j)
	if err != nil {
		return err
	}
	d := mail.Data{To: u.Email, Username: u.Username, Request: requestOf(j)}
	switch j.Kind {
	case outbox.KindPasswordReset:
		if d.Link, err = m.mint(ctx, u, tokens.Reset, u.Email, m.resetTTL, PathReset); err != nil {
			return err
		}
		d.Expires = m.resetTTL
	case outbox.KindVerifyEmail:
		if u.EmailVerified() {
			return fmt.Errorf("verify user %d: already verified: %w", u.ID, outbox.ErrNothingToSend)
		}
		if d.Link, err = m.mint(ctx, u, tokens.Verify, u.Email, VerifyTTL, PathVerify); err != nil {
			return err
		}
		d.Expires = VerifyTTL
	case outbox.KindEmailChangeConfirm:
		// Sent to the new address, which the account does not have yet.
		d.To, d.NewEmail, d.OldEmail = j.Email, j.Email, u.Email
		if d.Link, err = m.mint(ctx, u, tokens.EmailChange, j.Email, EmailChangeTTL, PathEmailChange); err != nil {
			return err
		}
		d.Expires = EmailChangeTTL
	case outbox.KindEmailChangeNotice:
		d.To, d.OldEmail, d.NewEmail = j.Email, j.Email, j.Data[outbox.DataNewEmail]
	case outbox.KindEmailChanged:
		// To the old address, with the way back.
		d.To, d.OldEmail, d.NewEmail = j.Email, j.Email, u.Email
		if d.Link, err = m.mint(ctx, u, tokens.EmailUndo, j.Email, UndoTTL, PathEmailUndo); err != nil {
			return err
		}
		d.Expires = UndoTTL
	case outbox.KindRecoveryCodeUsed:
		d.Remaining, _ = strconv.Atoi(j.Data[outbox.DataRemaining])
	case outbox.KindPasskeyAdded, outbox.KindPasskeyRemoved:
		d.Name = j.Data[outbox.DataName]
	case outbox.KindPasswordChanged, outbox.KindTOTPEnabled, outbox.KindTOTPDisabled:
	default:
		return outbox.Permanent(fmt.Errorf("unknown mail kind %q", j.Kind))
	}
	msg, err := mail.Render(j.Kind, d)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("render %s: %w", j.Kind, err))
	}
	if err := m.transport.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s: %w", j.Kind, err)
	}
	return nil
}

// account is the account j is about: by id when the job names one, else by address.
func (m *Mailer) account(ctx context.Context, j outbox.Job) (auth.User, error) {
	if j.UserID != 0 {
		c, err := m.accounts.UserCredentialsByID(ctx, j.UserID)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.User{}, fmt.Errorf("user %d is gone: %w", j.UserID, outbox.ErrNothingToSend)
		}
		return c.User, err
	}
	u, err := m.accounts.UserByEmail(ctx, j.Email)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, fmt.Errorf("no account has the address: %w", outbox.ErrNothingToSend)
	}
	return u, err
}

// mint makes a token for u and returns its link. In the same transaction it voids u's
// older tokens of the purpose (a newer link supersedes them; an undo link never is: each
// change keeps its own way back) and binds the token to the account as it is now.
func (m *Mailer) mint(ctx context.Context, u auth.User, purpose, email string, ttl time.Duration, path string) (string, error) {
	token, hash, err := tokens.New()
	if err != nil {
		return "", err
	}
	now := m.now()
	err = m.accounts.InTx(ctx, func(tx login.Tx) error {
		acct, err := tx.Account(ctx, u.ID)
		if errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("user %d is gone: %w", u.ID, outbox.ErrNothingToSend)
		}
		if err != nil {
			return err
		}
		rec := tokens.Record{Hash: hash, UserID: u.ID, Purpose: purpose, Email: email, CreatedAt: now, ExpiresAt: now.Add(ttl),
			Stamp: tokens.AccountStamp(purpose, acct.Email, acct.PasswordHash)}
		if purpose != tokens.EmailUndo {
			if err := tx.DeleteTokens(ctx, u.ID, purpose); err != nil {
				return err
			}
		}
		return tx.InsertToken(ctx, rec)
	})
	if err != nil {
		return "", fmt.Errorf("make %s token for user %d: %w", purpose, u.ID, err)
	}
	link := *m.base
	link.Path = strings.TrimRight(link.Path, "/") + path
	link.Fragment = "token=" + token
	return link.String(), nil
}

// requestOf reads who asked for j.
func requestOf(j outbox.Job) mail.Request {
	r := mail.Request{Address: j.Data[outbox.DataAddress], Browser: j.Data[outbox.DataUserAgent], Time: j.CreatedAt}
	if t, err := time.Parse(time.RFC3339, j.Data[outbox.DataAt]); err == nil {
		r.Time = t
	}
	return r
}
