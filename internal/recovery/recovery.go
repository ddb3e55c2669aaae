// Package recovery is how an account's owner proves their email address: password-reset
// links, email verification, and moving the account to a new address (with an undo for
// the old one). Requests only queue a mail in the outbox; the Mailer makes each link's
// token when it sends the mail, so no token exists at rest but as a hash, and a request
// for an address with no account does exactly the work of one for an address with one.
package recovery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/outbox"
)

// Store is what the flows read and write.
type Store interface {
	login.Store
	// Enqueue queues a mail outside any other write.
	Enqueue(ctx context.Context, j outbox.Job) error
	// UserByEmail finds the account with the address, ignoring case.
	UserByEmail(ctx context.Context, email string) (auth.User, error)
}

// Limiter is a token bucket per key, shared by every instance: the per-address limit on
// requests for mail.
type Limiter interface {
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// Passwords checks a logged-in user's password before a change: the auth package's
// Service.
type Passwords interface {
	CheckPassword(ctx context.Context, u auth.User, password, field string) error
}

// Service runs the request and confirmation side of the flows.
type Service struct {
	store     Store
	limit     Limiter
	passwords Passwords
	factors   login.Prover
	wake      func() // tells the sender a mail is queued
	now       func() time.Time
	mailOn    bool
}

// Options configure a Service.
type Options struct {
	// MailOn is false when the server cannot send mail: requests for mail are refused
	// (503) rather than queued for nobody; links already sent still work.
	MailOn bool
	// PerEmail limits mail requests per address; nil: no limit.
	PerEmail Limiter
	// Wake is called after a mail is queued (the sender's Notify); nil: none.
	Wake func()
	Now  func() time.Time
	// Factors asks the second factor before a change of email; nil: no account has one.
	Factors login.Prover
}

// New returns a Service over st that checks passwords with pw.
func New(st Store, pw Passwords, o Options) *Service {
	s := &Service{store: st, passwords: pw, limit: o.PerEmail, wake: o.Wake, now: o.Now, mailOn: o.MailOn, factors: o.Factors}
	if s.factors == nil {
		s.factors = login.NoProver{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	return s
}

// Messages the API shows for accepted requests: the same whether or not an account has
// the address.
const (
	MsgResetQueued        = "If an account uses that address, a link to reset its password is on its way. It works for a limited time, once."
	MsgVerificationQueued = "If an account uses that address and it is not verified yet, a link to verify it is on its way."
	MsgSameEmail          = "That is already your email address."
)

// RequestReset queues a reset mail for email. Whether an account has the address is
// decided by the Mailer, off the request path: here every valid request does the same
// two writes (the per-address bucket and the queue), in the same time.
func (s *Service) RequestReset(ctx context.Context, email string, c login.Client) error {
	return s.request(ctx, outbox.KindPasswordReset, "reset:", email, c)
}

// RequestVerification queues a verification mail for email, on the same terms as
// RequestReset; the Mailer drops it when the address has no account or is verified.
func (s *Service) RequestVerification(ctx context.Context, email string, c login.Client) error {
	return s.request(ctx, outbox.KindVerifyEmail, "verify:", email, c)
}

func (s *Service) request(ctx context.Context, kind, bucket, email string, c login.Client) error {
	if !s.mailOn {
		return auth.ErrMailOff
	}
	if err := checkAddress(email); err != nil {
		return err
	}
	if s.limit != nil {
		ok, wait, err := s.limit.Allow(ctx, bucket+strings.ToLower(email))
		if err != nil {
			return fmt.Errorf("request %s: %w", kind, err)
		}
		if !ok {
			return auth.TooMany(wait)
		}
	}
	now := s.now()
	if err := s.store.Enqueue(ctx, outbox.Job{Kind: kind, Email: email, Data: c.Requester(now), CreatedAt: now}); err != nil {
		return fmt.Errorf("request %s: %w", kind, err)
	}
	s.wake()
	return nil
}

// checkAddress refuses what cannot be an address, with sign-up's message.
func checkAddress(email string) error {
	if len(email) > 256 || !auth.IsEmail(email) {
		return &auth.Error{Code: auth.EInvalid, Message: auth.MsgBadRequest, Fields: map[string]string{"email": auth.MsgEmailInvalid}}
	}
	return nil
}
