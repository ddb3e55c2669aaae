package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"net/url"
	"sync"
)

// csrf implements the synchronizer-token pattern of csurf with its secret in a cookie:
// each client has a random secret in the HttpOnly _csrf cookie, and a token is a random
// salt with an HMAC of salt and secret under a server key. A token therefore verifies
// only against the secret it was made from, and only this server can make one.
type csrf struct {
	macs *sync.Pool // hash.Hash keyed with the derived key, reused between requests
}

const (
	csrfSecretBytes = 18 // 24 base64url characters
	csrfSaltBytes   = 9  // 12 base64url characters
	csrfSecretLen   = 24
	csrfSaltLen     = 12
	csrfMACLen      = 43 // base64url of a SHA-256
	csrfTokenLen    = csrfSaltLen + 1 + csrfMACLen
)

var b64 = base64.RawURLEncoding

func newCSRF(key []byte) csrf {
	// Derive a key of its own so a CSRF token never doubles as anything signed with the
	// JWT secret.
	m := hmac.New(sha256.New, key)
	m.Write([]byte("authme csrf token key"))
	derived := m.Sum(nil)
	return csrf{macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, derived) }}}
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails on Linux
	return b64.EncodeToString(b)
}

// validSecret reports whether s looks like a secret this server made.
func validSecret(s string) bool {
	if len(s) != csrfSecretLen {
		return false
	}
	var buf [csrfSecretBytes]byte
	n, err := b64.Strict().Decode(buf[:], []byte(s))
	return err == nil && n == csrfSecretBytes
}

// sum computes the MAC of salt and secret into out.
func (c csrf) sum(out *[sha256.Size]byte, salt, secret string) {
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(salt))
	m.Write([]byte{'.'})
	m.Write([]byte(secret))
	m.Sum(out[:0])
	c.macs.Put(m)
}

// mac is the MAC of salt and secret, base64url-encoded as it appears in a token.
func (c csrf) mac(salt, secret string) string {
	var sum [sha256.Size]byte
	c.sum(&sum, salt, secret)
	return b64.EncodeToString(sum[:])
}

// token makes a fresh token for secret.
func (c csrf) token(secret string) string {
	salt := randomString(csrfSaltBytes)
	return salt + "." + c.mac(salt, secret)
}

// verify reports in constant time whether token was made for secret.
func (c csrf) verify(secret, token string) bool {
	if !validSecret(secret) || len(token) != csrfTokenLen || token[csrfSaltLen] != '.' {
		return false
	}
	var got, want [sha256.Size]byte
	if n, err := b64.Strict().Decode(got[:], []byte(token[csrfSaltLen+1:])); err != nil || n != sha256.Size {
		return false
	}
	c.sum(&want, token[:csrfSaltLen], secret)
	return hmac.Equal(got[:], want[:])
}

// csrfHeaders are the header names csurf reads a token from, in its order.
var csrfHeaders = []string{"Csrf-Token", "Xsrf-Token", "X-Csrf-Token", "X-Xsrf-Token"}

// checkCSRF gives every client a secret cookie, and refuses unsafe requests whose token
// (from a header or the body's _csrf field) was not made for that secret.
//
// An answer that sets a new secret also sets an XSRF-TOKEN made for it. A frontend's
// first visit sends several requests at once without cookies (authenticate-me's
// restoreCSRF and restoreUser), and each answer sets a secret of its own: were only
// some of them to set the token too, a browser applying another answer last would hold
// a secret its token was not made for, and the first log-in would fail.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, st := withState(r)
		secret := cookieValue(r, s.cookies.csrfSecret)
		had := validSecret(secret)
		st.csrfSecret = secret
		if !had {
			st.csrfSecret = randomString(csrfSecretBytes)
			s.cookies.setCSRFSecret(w, st.csrfSecret)
			s.handOutToken(w, r)
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			next.ServeHTTP(w, r)
			return
		}
		token := ""
		for _, h := range csrfHeaders {
			if token = r.Header.Get(h); token != "" {
				break
			}
		}
		if token == "" {
			var err error
			if r, token, err = bodyCSRFToken(w, r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if !had || !s.csrf.verify(secret, token) {
			s.writeError(w, r, errCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bodyCSRFToken reads the _csrf field of a JSON or form body, keeping the body for the
// handler.
func bodyCSRFToken(w http.ResponseWriter, r *http.Request) (*http.Request, string, error) {
	form, err := bodyKind(r)
	if err != nil {
		return r, "", nil // not a body we read: no token there
	}
	b, err := readBody(w, r)
	if err != nil {
		return r, "", err
	}
	if form {
		v, err := url.ParseQuery(string(b))
		if err != nil {
			return r, "", nil
		}
		return r, v.Get("_csrf"), nil
	}
	var f struct {
		CSRF string `json:"_csrf"`
	}
	if json.Unmarshal(b, &f) != nil {
		return r, "", nil
	}
	return r, f.CSRF, nil
}

// handOutToken sets the XSRF-TOKEN cookie to a token for this client's secret and
// returns it. A request answered with a new secret already has its token: the same one
// is returned, so an answer never sets two.
func (s *Server) handOutToken(w http.ResponseWriter, r *http.Request) string {
	st := stateFrom(r.Context())
	if st == nil {
		tok := s.csrf.token(csrfSecret(r.Context()))
		s.cookies.setXSRF(w, tok)
		return tok
	}
	if st.xsrfToken == "" {
		st.xsrfToken = s.csrf.token(st.csrfSecret)
		s.cookies.setXSRF(w, st.xsrfToken)
	}
	return st.xsrfToken
}
