package passkey

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
)

// BeginLogin asks the browser for any passkey of this site (an empty allow list: the
// person picks one, no username typed), user verification preferred.
func (s *Service) BeginLogin(ctx context.Context) (*protocol.CredentialAssertion, error) {
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin passkey log-in: %w", err)
	}
	if err := s.begin(ctx, purposeLogin, 0, sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// errCloned marks an answer whose signature counter did not go forward.
var errCloned = errors.New("the signature counter did not go forward: the authenticator may be cloned")

// VerifyLogin checks a passkey's answer to a log-in ceremony: the challenge is spent,
// the passkey must be registered to the account its user handle names, and its
// signature, origin and relying party must check. Its counter and flags are kept; a
// counter that went backwards (a cloned authenticator) is refused and recorded. It
// returns who logged in and whether the authenticator verified its user (the UV flag),
// which proves the second factor too.
func (s *Service) VerifyLogin(ctx context.Context, response []byte, c login.Client) (login.Identity, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return login.Identity{}, badResponse(err)
	}
	_, sd, err := s.finish(ctx, purposeLogin, parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return login.Identity{}, err
	}
	var pk auth.Passkey
	var acct auth.Credentials
	find := func(rawID, userHandle []byte) (webauthn.User, error) {
		var err error
		pk, err = s.store.PasskeyByCredentialID(ctx, base64.RawURLEncoding.EncodeToString(rawID))
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(userHandle, Handle(pk.UserID)) {
			return nil, errors.New("the user handle names another account")
		}
		if acct, err = s.store.UserCredentialsByID(ctx, pk.UserID); err != nil {
			return nil, err
		}
		var cred webauthn.Credential
		if err := json.Unmarshal([]byte(pk.Credential), &cred); err != nil {
			return nil, err
		}
		return user{u: acct.User, creds: []webauthn.Credential{cred}}, nil
	}
	cred, err := s.wa.ValidateDiscoverableLogin(find, sd, parsed)
	if err == nil && cred.Authenticator.CloneWarning {
		err = errCloned
	}
	if err != nil {
		if pk.ID != "" && errors.Is(err, errCloned) {
			s.log.WarnContext(ctx, "passkey refused: its counter went back, the authenticator may be cloned", "user_id", pk.UserID, "passkey", pk.ID)
			s.record(ctx, c, pk, "clone")
		} else {
			s.log.InfoContext(ctx, "passkey log-in refused", "passkey", pk.ID, "err", err)
		}
		var ae *auth.Error
		if errors.As(err, &ae) && ae.Code == auth.EUnavailable {
			return login.Identity{}, err
		}
		return login.Identity{}, auth.ErrPasskeyRefused
	}
	blob, err := json.Marshal(cred)
	if err != nil {
		return login.Identity{}, fmt.Errorf("passkey log-in: %w", err)
	}
	ok, err := s.store.UsePasskey(ctx, pk.ID, pk.Credential, string(blob), s.now())
	if err != nil {
		return login.Identity{}, fmt.Errorf("passkey log-in: %w", err)
	}
	if !ok {
		// Another log-in with this passkey moved its counter (or it was removed) since
		// it was read: of the two, that one stands.
		return login.Identity{}, auth.ErrPasskeyRefused
	}
	return login.Identity{User: acct.User, Method: login.MethodPasskey, SecondFactor: parsed.Response.AuthenticatorData.Flags.HasUserVerified()}, nil
}

// record writes a refused passkey log-in to the account's history.
func (s *Service) record(ctx context.Context, c login.Client, pk auth.Passkey, reason string) {
	e := c.Origin("").Event(pk.UserID, events.PasskeyRefused, s.now())
	e.Detail = map[string]string{events.DetailPasskey: pk.ID, events.DetailReason: reason}
	ctx = context.WithoutCancel(ctx)
	if err := s.store.InTx(ctx, func(tx login.Tx) error { return tx.RecordEvent(ctx, e) }); err != nil {
		s.log.WarnContext(ctx, "recording a security event failed", "user_id", pk.UserID, "err", err)
	}
}
