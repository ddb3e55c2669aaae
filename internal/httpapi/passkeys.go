package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/passkey"
)

// Passkeys registers, lists and removes passkeys and begins their log-ins: the passkey
// package's Service. (Finishing a log-in is the Accounts' Passkey: it starts a session.)
type Passkeys interface {
	BeginRegistration(ctx context.Context, u auth.User, r passkey.Reauth, c login.Client) (*protocol.CredentialCreation, error)
	FinishRegistration(ctx context.Context, u auth.User, name string, response []byte, keep string, c login.Client) (auth.Passkey, error)
	List(ctx context.Context, userID int64) ([]auth.Passkey, error)
	Delete(ctx context.Context, u auth.User, id string, r passkey.Reauth, c login.Client) error
	BeginLogin(ctx context.Context) (*protocol.CredentialAssertion, error)
}

// passkeyJSON is a passkey as its owner sees it: never its key or credential id.
type passkeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

func passkeyOf(p auth.Passkey) passkeyJSON {
	j := passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC()}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt.UTC()
		j.LastUsedAt = &t
	}
	return j
}

type passkeysBody struct {
	Passkeys []passkeyJSON `json:"passkeys"`
}

// reauthRequest is what a change to passkeys carries when the session's log-in is not
// recent: the password, and the second factor when the account has one.
type reauthRequest struct {
	Password string `json:"password"`
	secondFactor
}

// reauth is the proof the request brings, with when its session began (its log-in,
// sign-up, reset or password change: the last time its owner proved a secret). That is
// read here, not at every session restore: only these requests need it.
func (s *Server) reauth(r *http.Request, q reauthRequest, c current) (passkey.Reauth, error) {
	sessions, err := s.sessions.List(r.Context(), c.user.ID)
	if err != nil {
		return passkey.Reauth{}, err
	}
	re := passkey.Reauth{Password: q.Password, Proof: q.proof()}
	for _, sess := range sessions {
		if sess.ID == c.sessionID {
			re.LoggedInAt = sess.CreatedAt
		}
	}
	return re, nil
}

// handlePasskeyRegisterBegin answers the options for navigator.credentials.create.
func (s *Server) handlePasskeyRegisterBegin(w http.ResponseWriter, r *http.Request, c current) error {
	var req reauthRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	re, err := s.reauth(r, req, c)
	if err != nil {
		return err
	}
	opts, err := s.passkeys.BeginRegistration(r.Context(), c.user, re, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, opts)
	return nil
}

type registerFinishRequest struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// handlePasskeyRegisterFinish checks the authenticator's answer and keeps the passkey.
func (s *Server) handlePasskeyRegisterFinish(w http.ResponseWriter, r *http.Request, c current) error {
	var req registerFinishRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Credential) == 0 {
		return auth.Invalid(map[string]string{"credential": "Send the authenticator's answer (PublicKeyCredential.toJSON())."})
	}
	pk, err := s.passkeys.FinishRegistration(r.Context(), c.user, req.Name, req.Credential, c.sessionID, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]passkeyJSON{"passkey": passkeyOf(pk)})
	return nil
}

// handlePasskeyList lists the caller's passkeys.
func (s *Server) handlePasskeyList(w http.ResponseWriter, r *http.Request, c current) error {
	return s.writePasskeys(w, r, c.user.ID)
}

func (s *Server) writePasskeys(w http.ResponseWriter, r *http.Request, userID int64) error {
	pks, err := s.passkeys.List(r.Context(), userID)
	if err != nil {
		return err
	}
	body := passkeysBody{Passkeys: make([]passkeyJSON, len(pks))}
	for i, p := range pks {
		body.Passkeys[i] = passkeyOf(p)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// handlePasskeyDelete removes one of the caller's passkeys and answers those left.
func (s *Server) handlePasskeyDelete(w http.ResponseWriter, r *http.Request, c current) error {
	var req reauthRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	re, err := s.reauth(r, req, c)
	if err != nil {
		return err
	}
	if err := s.passkeys.Delete(r.Context(), c.user, r.PathValue("id"), re, s.client(r)); err != nil {
		return err
	}
	return s.writePasskeys(w, r, c.user.ID)
}

// handlePasskeyLoginBegin answers the options for navigator.credentials.get: any
// passkey of this site, no username asked.
func (s *Server) handlePasskeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	opts, err := s.passkeys.BeginLogin(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, opts)
	return nil
}

type passkeyLoginRequest struct {
	Credential json.RawMessage `json:"credential"`
}

// handlePasskeyLoginFinish logs in with a passkey's answer: the same session, cookies and
// body as a password log-in, or the same 202 when a second factor is still to come.
func (s *Server) handlePasskeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	var req passkeyLoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Credential) == 0 {
		return auth.Invalid(map[string]string{"credential": "Send the authenticator's answer (PublicKeyCredential.toJSON())."})
	}
	a, err := s.accounts.Passkey(r.Context(), req.Credential, s.client(r))
	return s.answerLogin(w, r, a, err)
}

// noPasskeys is Passkeys on a server wired without them.
type noPasskeys struct{}

func (noPasskeys) BeginRegistration(context.Context, auth.User, passkey.Reauth, login.Client) (*protocol.CredentialCreation, error) {
	return nil, auth.ErrPasskeysOff
}
func (noPasskeys) FinishRegistration(context.Context, auth.User, string, []byte, string, login.Client) (auth.Passkey, error) {
	return auth.Passkey{}, auth.ErrPasskeysOff
}
func (noPasskeys) List(context.Context, int64) ([]auth.Passkey, error) { return nil, nil }
func (noPasskeys) Delete(context.Context, auth.User, string, passkey.Reauth, login.Client) error {
	return auth.ErrPasskeyNotFound
}
func (noPasskeys) BeginLogin(context.Context) (*protocol.CredentialAssertion, error) {
	return nil, auth.ErrPasskeysOff
}
