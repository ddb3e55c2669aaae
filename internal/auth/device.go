package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Device is a browser that has logged in to an account before (OWASP's "device
// cookies"): its owner's log-ins are throttled on a bucket of their own, so an attacker
// who floods the account with guesses does not lock the owner out of a browser they
// have used before.
type Device struct {
	UserID int64
	ID     string // random, made when the device first logs in to the account
}

// Devices signs and reads device tokens. A token is "v1.<user id>.<device id>.<expiry>.
// <mac>": an HMAC-SHA256 under a key of its own, so only this server can make one, and
// one made for an account is worthless for another.
type Devices struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// DefaultDeviceTTL is how long a device stays known after its last log-in.
const DefaultDeviceTTL = 180 * 24 * time.Hour

// NewDevices returns Devices keyed from secret (derived again, so a device token never
// doubles as anything else signed with the same secret).
func NewDevices(secret []byte, ttl time.Duration, now func() time.Time) *Devices {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authme device token key"))
	if ttl <= 0 {
		ttl = DefaultDeviceTTL
	}
	return &Devices{key: m.Sum(nil), ttl: ttl, now: now}
}

// TTL is how long a new device token is valid.
func (d *Devices) TTL() time.Duration { return d.ttl }

// Issue returns a token for device dev, valid for TTL from now. A zero dev.ID makes a
// new device.
func (d *Devices) Issue(dev Device) string {
	if dev.ID == "" {
		b := make([]byte, 16)
		rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails on Linux
		dev.ID = base64.RawURLEncoding.EncodeToString(b)
	}
	body := "v1." + strconv.FormatInt(dev.UserID, 10) + "." + dev.ID + "." + strconv.FormatInt(d.now().Add(d.ttl).Unix(), 10)
	return body + "." + d.mac(body)
}

// Parse returns the device a token names, when this server made it and it has not
// expired.
func (d *Devices) Parse(tok string) (Device, bool) {
	if tok == "" || len(tok) > 200 {
		return Device{}, false
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || !hmac.Equal([]byte(tok[i+1:]), []byte(d.mac(tok[:i]))) {
		return Device{}, false
	}
	parts := strings.Split(tok[:i], ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return Device{}, false
	}
	uid, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || parts[2] == "" || d.now().Unix() >= exp {
		return Device{}, false
	}
	return Device{UserID: uid, ID: parts[2]}, true
}

func (d *Devices) mac(body string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
