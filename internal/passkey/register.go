package passkey

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/outbox"
)

// Reauth is what a change to an account's passkeys brings to prove its owner is there:
// a log-in within RecentLogin, or the password (and the second factor, when the account
// has one) again. A stolen session must not plant a lasting key.
type Reauth struct {
	LoggedInAt time.Time
	Password   string
	Proof      auth.Proof
}

// check asks the password and second factor unless the session's log-in is recent.
func (s *Service) check(ctx context.Context, u auth.User, r Reauth, c login.Client) error {
	if !r.LoggedInAt.IsZero() && s.now().Sub(r.LoggedInAt) < RecentLogin {
		return nil
	}
	if r.Password == "" {
		return auth.ErrReauthenticate
	}
	if err := s.passwords.CheckPassword(ctx, u, r.Password, "password"); err != nil {
		return err
	}
	return s.factors.Prove(ctx, u, r.Proof, c)
}

// BeginRegistration asks u's browser to make a passkey: a discoverable credential
// (resident key), user verification preferred, none of u's existing passkeys again.
func (s *Service) BeginRegistration(ctx context.Context, u auth.User, r Reauth, c login.Client) (*protocol.CredentialCreation, error) {
	if err := s.check(ctx, u, r, c); err != nil {
		return nil, err
	}
	_, creds, err := s.credentialsOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, len(creds))
	for i := range creds {
		exclude[i] = creds[i].Descriptor()
	}
	creation, sd, err := s.wa.BeginRegistration(user{u: u, creds: creds},
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration of user %d: %w", u.ID, err)
	}
	if err := s.begin(ctx, purposeRegister, u.ID, sd); err != nil {
		return nil, err
	}
	return creation, nil
}

// FinishRegistration checks the authenticator's answer to the ceremony u began and
// records the passkey as name. In one transaction it also ends every other session of
// u (keep is this one) and every log-in waiting for a second factor, records the event
// and queues the notice.
func (s *Service) FinishRegistration(ctx context.Context, u auth.User, name string, response []byte, keep string, c login.Client) (auth.Passkey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return auth.Passkey{}, auth.ErrPasskeyName
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return auth.Passkey{}, badResponse(err)
	}
	ch, sd, err := s.finish(ctx, purposeRegister, parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return auth.Passkey{}, err
	}
	if ch.UserID != u.ID {
		return auth.Passkey{}, auth.ErrPasskeyChallenge // begun by another account
	}
	_, creds, err := s.credentialsOf(ctx, u.ID)
	if err != nil {
		return auth.Passkey{}, err
	}
	cred, err := s.wa.CreateCredential(user{u: u, creds: creds}, sd, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration refused", "user_id", u.ID, "err", err)
		return auth.Passkey{}, auth.Invalid(map[string]string{"credential": "The authenticator's answer was not accepted. Try again."})
	}
	blob, err := json.Marshal(cred)
	if err != nil {
		return auth.Passkey{}, fmt.Errorf("record passkey of user %d: %w", u.ID, err)
	}
	id, err := newID()
	if err != nil {
		return auth.Passkey{}, err
	}
	now := s.now()
	// Kept in milliseconds: the answer shows the time the list will show.
	pk := auth.Passkey{ID: id, UserID: u.ID, Name: name, CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID), Credential: string(blob), CreatedAt: now.Truncate(time.Millisecond)}
	err = s.store.InTx(ctx, func(tx login.Tx) error {
		if err := tx.InsertPasskey(ctx, pk); err != nil {
			return err
		}
		if err := tx.EndOtherSessions(ctx, u.ID, keep); err != nil {
			return err
		}
		if err := tx.EndPendingLogins(ctx, u.ID); err != nil {
			return err
		}
		e := c.Origin(keep).Event(u.ID, events.PasskeyAdded, now)
		e.Detail = map[string]string{events.DetailPasskey: id, events.DetailName: name}
		if err := tx.RecordEvent(ctx, e); err != nil {
			return err
		}
		return s.notice(ctx, tx, outbox.KindPasskeyAdded, u, name, c)
	})
	if err != nil {
		if errors.Is(err, auth.ErrPasskeyExists) {
			return auth.Passkey{}, err
		}
		return auth.Passkey{}, fmt.Errorf("record passkey of user %d: %w", u.ID, err)
	}
	s.wake()
	return pk, nil
}

// notice queues a mail about u's passkey name, when mail is on.
func (s *Service) notice(ctx context.Context, tx login.Tx, kind string, u auth.User, name string, c login.Client) error {
	if !s.notify {
		return nil
	}
	data := c.Requester(s.now())
	data[outbox.DataName] = name
	return tx.Enqueue(ctx, outbox.Job{Kind: kind, UserID: u.ID, Email: u.Email, Data: data, CreatedAt: s.now()})
}

// List returns the account's passkeys, oldest first.
func (s *Service) List(ctx context.Context, userID int64) ([]auth.Passkey, error) {
	return s.store.Passkeys(ctx, userID)
}

// Delete removes u's passkey id, once u is proven there (Reauth), and ends every other
// session of u (c.Replaces is this one) and every log-in waiting for a code: a passkey is
// removed because it was lost or stolen, and what it logged in must go with it. An
// account's last way to log in is never removed: every authme account has a password, so
// a passkey is never the last, but an account whose password was never set (an empty
// hash) keeps its last passkey.
func (s *Service) Delete(ctx context.Context, u auth.User, id string, r Reauth, c login.Client) error {
	if err := s.check(ctx, u, r, c); err != nil {
		return err
	}
	pks, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return err
	}
	name := ""
	for _, p := range pks {
		if p.ID == id {
			name = p.Name
		}
	}
	if name == "" {
		return auth.ErrPasskeyNotFound
	}
	err = s.store.InTx(ctx, func(tx login.Tx) error {
		left, err := tx.DeletePasskey(ctx, u.ID, id)
		if err != nil {
			return err
		}
		acct, err := tx.Account(ctx, u.ID)
		if err != nil {
			return err
		}
		if left == 0 && acct.PasswordHash == "" {
			return auth.ErrLastMethod
		}
		if err := tx.EndOtherSessions(ctx, u.ID, c.Replaces); err != nil {
			return err
		}
		if err := tx.EndPendingLogins(ctx, u.ID); err != nil {
			return err
		}
		e := c.Origin(c.Replaces).Event(u.ID, events.PasskeyRemoved, s.now())
		e.Detail = map[string]string{events.DetailPasskey: id, events.DetailName: name}
		if err := tx.RecordEvent(ctx, e); err != nil {
			return err
		}
		return s.notice(ctx, tx, outbox.KindPasskeyRemoved, u, name, c)
	})
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			return err
		}
		return fmt.Errorf("remove passkey of user %d: %w", u.ID, err)
	}
	s.wake()
	return nil
}
