package mfa

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// The codes authme accepts: RFC 6238 as every authenticator app does it by default.
const (
	Period     = 30 * time.Second // a code's step
	Skew       = 1                // steps accepted on each side of now, for clocks a little apart
	CodeDigits = 6
	secretSize = 20 // bytes: 160 bits, RFC 4226's recommended HMAC-SHA1 key length
	qrSize     = 256
)

// Enrolment is a new secret as the person's app takes it: typed (Secret), followed
// (URI) or scanned (QRCode, a PNG data: URI, which the page's CSP already allows).
type Enrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	QRCode string `json:"qrCode"`
}

// newSecret makes a random secret for accountName's app under issuer's name.
func newSecret(issuer, accountName string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: accountName, SecretSize: secretSize,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Period: uint(Period / time.Second),
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("make totp secret: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return Enrolment{}, fmt.Errorf("draw qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, fmt.Errorf("draw qr code: %w", err)
	}
	return Enrolment{
		Secret: key.Secret(),
		URI:    key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// NormalizeCode returns the six digits of a typed code (spaces and dashes dropped), or
// false when it is not six digits: such input is refused before it counts as a guess.
func NormalizeCode(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) != CodeDigits {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

// StepAt is the step a code made at t belongs to.
func StepAt(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Match returns the step whose code code is, among the steps around now (Skew each
// way), that is later than after (a code is good once: a step at or before the last one
// accepted is refused). Every candidate step is computed and compared in constant time,
// whatever matches, so timing tells nothing about the code.
func Match(secret, code string, now time.Time, after int64) (step int64, ok bool, err error) {
	code, valid := NormalizeCode(code)
	if !valid {
		return 0, false, nil
	}
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	center := StepAt(now)
	found := int64(-1)
	for s := center - Skew; s <= center+Skew; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), opts)
		if err != nil {
			return 0, false, fmt.Errorf("totp code: %w", err)
		}
		same := subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
		if same && s > after && found < 0 {
			found = s
		}
	}
	if found < 0 {
		return 0, false, nil
	}
	return found, true, nil
}
