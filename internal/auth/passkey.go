package auth

import "time"

// Passkey is a WebAuthn credential an account registered, as the database keeps it.
type Passkey struct {
	ID           string // authme's name for it in the API: random, not the credential id
	UserID       int64
	Name         string
	CredentialID string // the authenticator's credential id, base64url
	// Credential is the verified credential (public key, flags, counter) as the webauthn
	// library keeps it, in JSON; nothing in it is secret.
	Credential string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used to log in
}

// Challenge is a WebAuthn ceremony begun and not yet finished. Only the SHA-256 of its
// challenge is kept; Session is the library's ceremony state without the challenge.
type Challenge struct {
	Hash      string
	Purpose   string // "register" or "login"
	UserID    int64  // the account registering; 0 for a log-in
	Session   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Messages of passkeys.
const (
	MsgPasskeysOff       = "Passkeys are not set up on this server: it needs WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS (or an https PUBLIC_URL)."
	MsgPasskeyChallenge  = "This passkey request expired or was used already. Try again."
	MsgPasskeyRefused    = "This passkey was not accepted: it is not registered here, or its answer was not valid."
	MsgPasskeyNotFound   = "No such passkey."
	MsgPasskeyReauth     = "Enter your password to do this: you logged in more than 5 minutes ago."
	MsgPasskeyName       = "Name the passkey in 1 to 64 characters."
	MsgPasskeyLastMethod = "This is the account's last way to log in: add another before removing it."
	MsgPasskeyExists     = "This passkey is registered already."
)

// Errors of passkeys.
var (
	ErrPasskeysOff      = &Error{Code: EUnavailable, Message: MsgPasskeysOff}
	ErrPasskeyChallenge = invalid(map[string]string{"credential": MsgPasskeyChallenge})
	ErrPasskeyRefused   = &Error{Code: EUnauthorized, Message: MsgInvalidCredential, Fields: map[string]string{"credential": MsgPasskeyRefused}}
	ErrPasskeyNotFound  = &Error{Code: ENotFound, Message: MsgPasskeyNotFound}
	ErrReauthenticate   = invalid(map[string]string{"password": MsgPasskeyReauth})
	ErrPasskeyName      = invalid(map[string]string{"name": MsgPasskeyName})
	ErrLastMethod       = &Error{Code: EConflict, Message: MsgPasskeyLastMethod}
	ErrPasskeyExists    = &Error{Code: EConflict, Message: MsgPasskeyExists, Fields: map[string]string{"credential": MsgPasskeyExists}}
)
