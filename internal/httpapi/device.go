package httpapi

import (
	"net/http"
	"time"

	"authme/internal/auth"
)

// deviceCookie is the known-device cookie (OWASP "device cookies"): a signed token,
// HttpOnly, left by every successful log-in and sign-up and kept through log-out, that
// names the last account this browser logged in to. A log-in to that account from this
// browser is throttled on the device's own bucket, so a flood of guesses against the
// account does not lock its owner out of a browser they have used before.
type deviceCookie struct {
	name     string
	secure   bool
	sameSite http.SameSite
	devices  *auth.Devices
}

func newDeviceCookie(prod bool, devices *auth.Devices) deviceCookie {
	// The token cookie's flags: SameSite and Secure in production, where the name takes
	// the __Host- prefix.
	c := deviceCookie{name: "device", devices: devices}
	if prod {
		c.name, c.secure, c.sameSite = "__Host-device", true, http.SameSiteLaxMode
	}
	return c
}

// read returns the device the request's cookie names, or the zero Device.
func (c deviceCookie) read(r *http.Request) auth.Device {
	d, _ := c.devices.Parse(cookieValue(r, c.name))
	return d
}

// set leaves a device cookie for u: the same device again when the request came with
// one for u (its bucket stays its own), else a new one.
func (c deviceCookie) set(w http.ResponseWriter, r *http.Request, u auth.User) {
	d := c.read(r)
	if d.UserID != u.ID {
		d = auth.Device{UserID: u.ID}
	}
	http.SetCookie(w, &http.Cookie{Name: c.name, Value: c.devices.Issue(d), Path: "/", HttpOnly: true,
		Secure: c.secure, SameSite: c.sameSite, MaxAge: int(c.devices.TTL() / time.Second)})
}

// clear deletes the device cookie: the account it names is gone.
func (c deviceCookie) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.name, Value: "", Path: "/", HttpOnly: true, Secure: c.secure, SameSite: c.sameSite,
		MaxAge: -1, Expires: time.Unix(0, 0)})
}
