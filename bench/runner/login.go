package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// demoLogin is the seeded demo user both authme and the Express app have.
const demoLogin = `{"credential":"Demo-lition","password":"password"}`

// userData is the user as the API returns it and as the token's data claim holds it.
type userData struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// client is what a logged-in browser holds: its cookies and the CSRF token it copies
// from XSRF-TOKEN into the XSRF-Token header.
type client struct {
	cookies map[string]string
	xsrf    string
	user    userData
}

// cookieHeader renders the named cookies (those the client has) as a Cookie header.
func (c client) cookieHeader(names ...string) string {
	var parts []string
	for _, n := range names {
		if v, ok := c.cookies[n]; ok {
			parts = append(parts, n+"="+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// logIn does what the authenticate-me frontend does: restore a CSRF token, then log in
// as the demo user with it, collecting every cookie set on the way.
func logIn(ctx context.Context, base string) (client, error) {
	c := client{cookies: map[string]string{}}
	hc := &http.Client{Timeout: 10 * time.Second}
	send := func(method, path, body string) ([]byte, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			return nil, err
		}
		if h := c.cookieHeader("_csrf", "XSRF-TOKEN", "token"); h != "" {
			req.Header.Set("Cookie", h)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("XSRF-Token", c.xsrf)
		}
		res, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
		for _, ck := range res.Cookies() {
			c.cookies[ck.Name] = ck.Value
		}
		return b, nil
	}
	if _, err := send("GET", "/api/csrf/restore", ""); err != nil {
		return c, err
	}
	c.xsrf = c.cookies["XSRF-TOKEN"]
	b, err := send("POST", "/api/session", demoLogin)
	if err != nil {
		return c, err
	}
	var body struct {
		User userData `json:"user"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return c, fmt.Errorf("log-in answer %q: %w", b, err)
	}
	c.user = body.User
	for _, want := range []string{"_csrf", "XSRF-TOKEN", "token"} {
		if c.cookies[want] == "" {
			return c, fmt.Errorf("log-in at %s did not set the %s cookie", base, want)
		}
	}
	return c, nil
}

// mintToken makes the token the ceiling accepts: the seed's payload shape, signed with
// the shared secret, as authme would issue it (minus the session row behind it).
func mintToken(secret []byte, u userData) (string, error) {
	type claims struct {
		Data userData `json:"data"`
		jwt.RegisteredClaims
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Data: u,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        "bench-ceiling-session",
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(24 * time.Hour)),
		},
	}).SignedString(secret)
}
