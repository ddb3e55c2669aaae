package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// FuzzDecodeBodies throws arbitrary bytes, under each content type, at every JSON body
// decoder: the answer is a value or a 4xx error, never a panic or a 5xx.
func FuzzDecodeBodies(f *testing.F) {
	for _, seed := range []string{
		`{"credential":"Demo-lition","password":"password"}`,
		`{"username":"a","email":"b@c.io","password":"12345678"}`,
		`{"currentPassword":"x","newPassword":"y"}`,
		`{"credential":1}`, `[]`, `null`, `{"a":{"b":{"c":[[[[]]]]}}}`, "{\"credential\":\"\x00\"}",
		`{"credential":"a","credential":"b"}`, "\xff\xfe", `credential=a&password=b`, `{`, ``,
		`{"credential":"\ud800"}`, `{"password":"\ud83d\ude00\udc00"}`, `{"x":["\udfff"]}`, `credential=%ff&password=%ed%a0%80`,
	} {
		f.Add([]byte(seed), "application/json")
		f.Add([]byte(seed), "application/x-www-form-urlencoded")
	}
	f.Add([]byte(`<x/>`), "text/xml")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		for _, dst := range []any{&loginRequest{}, &signupRequest{}, &changePasswordRequest{}} {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			err := decode(httptest.NewRecorder(), r, dst)
			if err == nil {
				continue
			}
			var he *httpError
			if !errors.As(err, &he) || he.status < 400 || he.status > 499 {
				t.Fatalf("decode(%q, %q) = %v, want a 4xx httpError", body, contentType, err)
			}
		}
	})
}

// FuzzCSRFVerify checks that no token made without the server key verifies, and that
// verify never panics.
func FuzzCSRFVerify(f *testing.F) {
	c := newCSRF([]byte("fuzz key"))
	secret := "AAAAAAAAAAAAAAAAAAAAAAAA"
	f.Add(secret, c.token(secret))
	f.Add(secret, "")
	f.Add("", "abc.def")
	f.Add(secret, "AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, secret, token string) {
		if c.verify(secret, token) {
			// Only a token carrying the right MAC can pass.
			if len(token) != csrfTokenLen || c.mac(token[:csrfSaltLen], secret) != token[csrfSaltLen+1:] {
				t.Fatalf("verify(%q, %q) accepted a token without the right MAC", secret, token)
			}
		}
	})
}

// FuzzClientIP checks that X-Forwarded-For is ignored from untrusted peers, and that any
// header from a trusted one yields an address without panicking.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:5555", "203.0.113.7")
	f.Add("10.0.0.1:5555", "203.0.113.7, 10.0.0.2")
	f.Add("192.0.2.1:1", "1.1.1.1")
	f.Add("[::1]:80", "::ffff:1.2.3.4, garbage")
	f.Add("bad", ",,,")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := clientIP(r, trusted)
		if peer := remoteAddr(r); !inPrefixes(peer, trusted) && got != peer {
			t.Fatalf("untrusted peer %q: clientIP = %v, want the peer %v", remote, got, peer)
		}
	})
}
