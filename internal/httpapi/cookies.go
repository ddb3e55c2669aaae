package httpapi

import (
	"net/http"
	"time"
)

// cookies knows the names and flags of authme's cookies.
type cookies struct {
	token, csrfSecret, xsrf string
	// pending holds a log-in's attempt token while it waits for its second factor.
	pending  string
	secure   bool
	sameSite http.SameSite
	// The attributes of the two cookies set on most responses, rendered once: our
	// values are base64url, so the header is a concatenation, not a Cookie.String().
	secretAttrs, xsrfAttrs string
}

// newCookies names the cookies: the seed's names in development; in production the
// HttpOnly ones take the __Host- prefix (Secure, Path=/, no Domain: a subdomain cannot
// plant or overwrite them). XSRF-TOKEN keeps its name because frontends read it.
func newCookies(prod bool) cookies {
	c := cookies{token: "token", csrfSecret: "_csrf", xsrf: "XSRF-TOKEN", pending: "second-factor"}
	c.secretAttrs, c.xsrfAttrs = "; Path=/; HttpOnly", "; Path=/"
	if prod {
		c.token, c.csrfSecret, c.pending = "__Host-token", "__Host-csrf", "__Host-second-factor"
		c.secure, c.sameSite = true, http.SameSiteLaxMode
		c.secretAttrs += "; Secure; SameSite=Lax"
		c.xsrfAttrs += "; Secure; SameSite=Lax"
	}
	return c
}

// setToken sets the session token cookie for the session's lifetime.
func (c cookies) setToken(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: c.token, Value: token, Path: "/", HttpOnly: true, Secure: c.secure, SameSite: c.sameSite,
		MaxAge: int(ttl / time.Second)})
}

// clearToken deletes the session token cookie.
func (c cookies) clearToken(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.token, Value: "", Path: "/", HttpOnly: true, Secure: c.secure, SameSite: c.sameSite,
		MaxAge: -1, Expires: time.Unix(0, 0)})
}

// setCSRFSecret sets the HttpOnly cookie holding this client's CSRF secret.
func (c cookies) setCSRFSecret(w http.ResponseWriter, secret string) {
	w.Header().Add("Set-Cookie", c.csrfSecret+"="+secret+c.secretAttrs)
}

// setXSRF sets the script-readable cookie a frontend copies into the XSRF-Token header.
func (c cookies) setXSRF(w http.ResponseWriter, token string) {
	w.Header().Add("Set-Cookie", c.xsrf+"="+token+c.xsrfAttrs)
}

// value returns the named cookie's value, or "".
func cookieValue(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// setPending sets the cookie that binds a log-in waiting for its second factor to this
// browser: HttpOnly, and SameSite=Strict, since only the page's own request finishes it.
func (c cookies) setPending(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: c.pending, Value: token, Path: "/", HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: max(int(ttl/time.Second), 1)})
}

// clearPending deletes that cookie.
func (c cookies) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.pending, Value: "", Path: "/", HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}
