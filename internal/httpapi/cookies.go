package httpapi

import (
	"net/http"
	"time"
)

// cookies knows the names and flags of authme's three cookies.
type cookies struct {
	token, csrfSecret, xsrf string
	secure                  bool
	sameSite                http.SameSite
}

// newCookies names the cookies: the seed's names in development; in production the
// HttpOnly ones take the __Host- prefix (Secure, Path=/, no Domain: a subdomain cannot
// plant or overwrite them). XSRF-TOKEN keeps its name because frontends read it.
func newCookies(prod bool) cookies {
	c := cookies{token: "token", csrfSecret: "_csrf", xsrf: "XSRF-TOKEN"}
	if prod {
		c.token, c.csrfSecret = "__Host-token", "__Host-csrf"
		c.secure, c.sameSite = true, http.SameSiteLaxMode
	}
	return c
}

func (c cookies) set(w http.ResponseWriter, name, value string, httpOnly bool, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: httpOnly, Secure: c.secure, SameSite: c.sameSite}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, ck)
}

// setToken sets the session token cookie for the session's lifetime.
func (c cookies) setToken(w http.ResponseWriter, token string, ttl time.Duration) {
	c.set(w, c.token, token, true, ttl)
}

// clearToken deletes the session token cookie.
func (c cookies) clearToken(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.token, Value: "", Path: "/", HttpOnly: true, Secure: c.secure, SameSite: c.sameSite,
		MaxAge: -1, Expires: time.Unix(0, 0)})
}

// setCSRFSecret sets the HttpOnly cookie holding this client's CSRF secret.
func (c cookies) setCSRFSecret(w http.ResponseWriter, secret string) {
	c.set(w, c.csrfSecret, secret, true, 0)
}

// setXSRF sets the script-readable cookie a frontend copies into the XSRF-Token header.
func (c cookies) setXSRF(w http.ResponseWriter, token string) {
	c.set(w, c.xsrf, token, false, 0)
}

// value returns the named cookie's value, or "".
func cookieValue(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}
