// Package passkeytest is a software authenticator for tests and benchmarks: it answers
// WebAuthn registration and log-in options as a platform authenticator would (a P-256
// key, "none" attestation), so authme's passkey flows can be driven without a browser.
// The real browser is driven by the e2e tests through Chromium's virtual authenticator.
// CBOR goes through fxamacker/cbor (the library go-webauthn itself uses); only the
// authenticator-data byte layout, fixed by the WebAuthn spec, is put together here.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Flags of authenticator data.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

// Authenticator holds one credential, made by Register.
type Authenticator struct {
	Origin string // the page's origin, written into the client data
	// Verify sets the UV flag (the authenticator checked its user: a PIN, a finger).
	Verify bool
	// Counter is the signature counter the next answer carries (then it goes up by one);
	// a test sets it back to look like a cloned authenticator.
	Counter uint32
	// Absent clears the user-present flag, which no real authenticator does.
	Absent bool
	// RPID, when set, is the relying party id the authenticator data names instead of
	// the one the options gave (a phishing site's).
	RPID string
	// Again has Register answer with the credential it made before (a new challenge,
	// the same key and credential id), as an authenticator ignoring excludeCredentials.
	Again bool

	key    *ecdsa.PrivateKey
	id     []byte
	handle []byte
	rpID   string
}

// New returns an authenticator for pages at origin, verifying its user when verify.
func New(origin string, verify bool) *Authenticator {
	return &Authenticator{Origin: origin, Verify: verify, Counter: 1}
}

var b64 = base64.RawURLEncoding

// creationOptions is what Register reads of the server's options.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

// Register answers navigator.credentials.create's options (the server's JSON) with a new
// credential, as PublicKeyCredential.toJSON() would.
func (a *Authenticator) Register(options []byte) ([]byte, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("creation options: %w", err)
	}
	var err error
	if !a.Again || a.key == nil {
		if a.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
		a.id = make([]byte, 16)
		rand.Read(a.id) //nolint:errcheck // crypto/rand does not fail
	}
	a.rpID = o.PublicKey.RP.ID
	if a.handle, err = b64.DecodeString(o.PublicKey.User.ID); err != nil {
		return nil, fmt.Errorf("user id: %w", err)
	}
	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)
	pub, err := a.coseKey()
	if err != nil {
		return nil, err
	}
	attested := make([]byte, 16, 16+2+len(a.id)+len(pub)) // AAGUID: zero
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.id)))
	attested = append(attested, a.id...)
	attested = append(attested, pub...)
	authData := append(a.authData(flagAT), attested...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
}

// requestOptions is what Login reads of the server's options.
type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
	} `json:"publicKey"`
}

// Login answers navigator.credentials.get's options with an assertion of the
// credential Register made.
func (a *Authenticator) Login(options []byte) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("request options: %w", err)
	}
	return a.Sign(o.PublicKey.Challenge)
}

// Sign answers a log-in challenge (base64url, as the options carry it).
func (a *Authenticator) Sign(challenge string) ([]byte, error) {
	if a.key == nil {
		return nil, fmt.Errorf("no credential: Register first")
	}
	clientData := a.clientData("webauthn.get", challenge)
	authData := a.authData(0)
	sum := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.handle),
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
}

// clientData is the browser's part: what the authenticator signs the hash of.
func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// authData is the spec's authenticator data: the relying party id's hash, the flags
// and the counter (which then goes up).
func (a *Authenticator) authData(extra byte) []byte {
	rpID := a.rpID
	if a.RPID != "" {
		rpID = a.RPID
	}
	rp := sha256.Sum256([]byte(rpID))
	flags := byte(flagUP) | extra
	if a.Absent {
		flags &^= flagUP
	}
	if a.Verify {
		flags |= flagUV
	}
	out := append(rp[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.Counter)
	a.Counter++
	return out
}

// coseKey is the credential's public key as a COSE_Key (RFC 9053): EC2, P-256, ES256.
func (a *Authenticator) coseKey() ([]byte, error) {
	point, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	return cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:65]})
}
