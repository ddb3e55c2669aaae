// Package passkey is authme's WebAuthn: registering passkeys, listing and removing them,
// and checking a passkey's answer to a log-in challenge. It verifies identities only;
// the login package starts the session. The WebAuthn protocol (CBOR, COSE, attestation)
// is github.com/go-webauthn/webauthn's.
package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"authme/internal/auth"
	"authme/internal/login"
)

// ChallengeTTL is how long a ceremony may take, from begin to finish.
const ChallengeTTL = 5 * time.Minute

// RecentLogin is how recent a log-in must be for a passkey to be added or removed
// without the password again.
const RecentLogin = 5 * time.Minute

// Purposes of a ceremony.
const (
	purposeRegister = "register"
	purposeLogin    = "login"
)

// Settings are the relying party: its id (a registrable domain, never an IP address),
// its name, and the exact origins (scheme, host and port) pages may ask from.
type Settings struct {
	RPID    string
	RPName  string
	Origins []string
}

// Store is what passkeys need from the database: the store's DB.
type Store interface {
	InTx(ctx context.Context, fn func(login.Tx) error) error
	Passkeys(ctx context.Context, userID int64) ([]auth.Passkey, error)
	PasskeyByCredentialID(ctx context.Context, credentialID string) (auth.Passkey, error)
	UsePasskey(ctx context.Context, id, from, credential string, at time.Time) (bool, error)
	InsertChallenge(ctx context.Context, c auth.Challenge) error
	RedeemChallenge(ctx context.Context, hash, purpose string, now time.Time) (auth.Challenge, error)
	UserCredentialsByID(ctx context.Context, id int64) (auth.Credentials, error)
}

// Passwords checks an account's password before a change: the auth package's Service.
type Passwords interface {
	CheckPassword(ctx context.Context, u auth.User, password, field string) error
}

// Options configure a Service.
type Options struct {
	// Factors asks the second factor, beside the password, when a change needs them.
	Factors login.Prover
	// Notify mails notices through the outbox; Wake tells the sender one is queued.
	Notify bool
	Wake   func()
	Now    func() time.Time
	Log    *slog.Logger
}

// Service registers, lists and removes passkeys and checks their log-ins.
type Service struct {
	wa        *webauthn.WebAuthn
	store     Store
	passwords Passwords
	factors   login.Prover
	notify    bool
	wake      func()
	now       func() time.Time
	log       *slog.Logger
}

// New returns a Service for the relying party st.
func New(st Settings, db Store, pw Passwords, o Options) (*Service, error) {
	if st.RPName == "" {
		st.RPName = "authme"
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          st.RPID,
		RPDisplayName: st.RPName,
		RPOrigins:     st.Origins,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	s := &Service{wa: wa, store: db, passwords: pw, factors: o.Factors, notify: o.Notify, wake: o.Wake, now: o.Now, log: o.Log}
	if s.factors == nil {
		s.factors = login.NoProver{}
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// user is an account as the WebAuthn library sees it.
type user struct {
	u     auth.User
	creds []webauthn.Credential
}

// Handle is the WebAuthn user handle of an account: its id, 8 bytes big-endian. It
// names the account to its authenticators without telling them anything about it.
func Handle(userID int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(userID)) }

func (x user) WebAuthnID() []byte                         { return Handle(x.u.ID) }
func (x user) WebAuthnName() string                       { return x.u.Username }
func (x user) WebAuthnDisplayName() string                { return x.u.Username }
func (x user) WebAuthnCredentials() []webauthn.Credential { return x.creds }

// hashChallenge is the stored form of a challenge.
func hashChallenge(challenge string) string {
	sum := sha256.Sum256([]byte(challenge))
	return hex.EncodeToString(sum[:])
}

// begin stores a ceremony's state under its challenge's hash, without the challenge.
func (s *Service) begin(ctx context.Context, purpose string, userID int64, sd *webauthn.SessionData) error {
	challenge := sd.Challenge
	sd.Challenge = ""
	state, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("passkey %s: %w", purpose, err)
	}
	now := s.now()
	return s.store.InsertChallenge(ctx, auth.Challenge{
		Hash: hashChallenge(challenge), Purpose: purpose, UserID: userID, Session: string(state),
		CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL),
	})
}

// finish spends the ceremony whose challenge the client data carries, and returns its
// state with the challenge put back: the signed client data brought it, and its hash
// found the one ceremony it was made for.
func (s *Service) finish(ctx context.Context, purpose string, challenge string) (auth.Challenge, webauthn.SessionData, error) {
	if challenge == "" {
		return auth.Challenge{}, webauthn.SessionData{}, auth.ErrPasskeyChallenge
	}
	c, err := s.store.RedeemChallenge(ctx, hashChallenge(challenge), purpose, s.now())
	if errors.Is(err, auth.ErrNotFound) {
		return auth.Challenge{}, webauthn.SessionData{}, auth.ErrPasskeyChallenge
	}
	if err != nil {
		return auth.Challenge{}, webauthn.SessionData{}, fmt.Errorf("passkey %s: %w", purpose, err)
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(c.Session), &sd); err != nil {
		return auth.Challenge{}, webauthn.SessionData{}, fmt.Errorf("passkey %s: %w", purpose, err)
	}
	sd.Challenge = challenge
	return c, sd, nil
}

// credentialsOf reads the account's passkeys as the library's credentials.
func (s *Service) credentialsOf(ctx context.Context, userID int64) ([]auth.Passkey, []webauthn.Credential, error) {
	pks, err := s.store.Passkeys(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	creds := make([]webauthn.Credential, 0, len(pks))
	for _, p := range pks {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(p.Credential), &c); err != nil {
			return nil, nil, fmt.Errorf("passkey %s of user %d: %w", p.ID, userID, err)
		}
		creds = append(creds, c)
	}
	return pks, creds, nil
}

// newID is authme's name for a new passkey.
func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("passkey id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// badResponse is a 400 for an answer that is not a WebAuthn answer at all.
func badResponse(err error) error {
	msg := "This is not an answer from an authenticator."
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		msg += " " + pe.Details
	}
	return auth.Invalid(map[string]string{"credential": msg})
}
