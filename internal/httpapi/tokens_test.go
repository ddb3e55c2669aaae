package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authme/internal/auth"
	"authme/internal/session"
	"authme/internal/testdb"
)

// jwtParts splits a token into its decoded header and payload and its signature.
func jwtParts(t *testing.T, tok string) (header, payload map[string]any, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", tok)
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("token segment %q: %v", s, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("token segment %q: %v", b, err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1]), parts[2]
}

// segment encodes v as a JWT segment.
func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// sign signs claims with golang-jwt.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, jwt.MapClaims(claims)).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// with returns a copy of claims with the given changes; a nil value deletes the claim.
func with(claims map[string]any, kv ...any) map[string]any {
	c := maps.Clone(claims)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// flipChar replaces s[i] by the base64url character whose 6 bits differ in the lowest one.
func flipChar(s string, i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	j := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[j^1]) + s[i+1:]
}

// TestTokens presents every kind of bad token in the token cookie: each means no user,
// a cleared cookie and never a 500.
func TestTokens(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		live := h.client(t).mustLogin(demoUsername, demoPassword)
		other := h.client(t).mustLogin("FakeUser1", "password2")
		hdr, claims, sig := jwtParts(t, live)
		_, otherClaims, otherSig := jwtParts(t, other)
		parts := strings.Split(live, ".")
		secret := []byte(testSecret)
		now := time.Now().Unix()

		// A session started three lifetimes ago: its token and its row have expired.
		past := session.NewManager(h.db, secret, testTTL, 0, func() time.Time { return time.Now().Add(-3 * testTTL) })
		demo := auth.User{ID: int64(claims["data"].(map[string]any)["id"].(float64)), Username: demoUsername, Email: demoEmail}
		expired := testdb.StartSession(t, h.db, past, demo, "test")
		_, expiredClaims, _ := jwtParts(t, expired)

		t.Run("LiveTokenAuthenticates", func(t *testing.T) {
			t.Parallel()
			r := h.client(t).do(http.MethodGet, "/api/users/me", nil, "Cookie", h.cookieName("token")+"="+live)
			wantStatus(t, r, http.StatusOK)
			wantUser(t, r, demoUsername, demoEmail)
			if r.cookie("token") != nil {
				t.Fatalf("a good token was answered with %q", r.cookie("token").Raw)
			}
		})
		t.Run("ResignedUnchangedAuthenticates", func(t *testing.T) {
			// The control for the forgeries below: golang-jwt with the right secret and
			// HS256 makes a token the server takes, so each refusal is for its one change.
			t.Parallel()
			r := h.client(t).do(http.MethodGet, "/api/users/me", nil, "Cookie", h.cookieName("token")+"="+sign(t, jwt.SigningMethodHS256, secret, claims))
			wantStatus(t, r, http.StatusOK)
		})

		bad := []struct{ name, token string }{
			{"SignatureMiddleCharFlipped", parts[0] + "." + parts[1] + "." + flipChar(sig, len(sig)/2)},
			{"SignatureFirstCharFlipped", parts[0] + "." + parts[1] + "." + flipChar(sig, 0)},
			{"SignatureLastCharFlipped", parts[0] + "." + parts[1] + "." + flipChar(sig, len(sig)-1)},
			{"SignatureRemoved", parts[0] + "." + parts[1] + "."},
			{"SignatureTruncated", live[:len(live)-2]},
			{"SignatureOfAnotherToken", parts[0] + "." + parts[1] + "." + otherSig},
			{"SignatureExtended", live + "AA"},
			{"SignatureOneCharLonger", live + "A"},
			{"SignatureOfHS512Length", parts[0] + "." + parts[1] + "." + strings.Repeat(sig, 2)[:86]},
			{"SignatureHuge", parts[0] + "." + parts[1] + "." + strings.Repeat("A", 3000)},
			{"PayloadUsernameChanged", parts[0] + "." + segment(t, with(claims, "data", map[string]any{"id": 1, "username": "admin", "email": "admin@user.io"})) + "." + sig},
			{"PayloadJTIChanged", parts[0] + "." + segment(t, with(claims, "jti", otherClaims["jti"])) + "." + sig},
			{"PayloadExpExtended", parts[0] + "." + segment(t, with(claims, "exp", now+365*24*3600)) + "." + sig},
			{"PayloadCharFlipped", parts[0] + "." + flipChar(parts[1], len(parts[1])/2) + "." + sig},
			{"HeaderAlgChangedToHS512", segment(t, with(hdr, "alg", "HS512")) + "." + parts[1] + "." + sig},
			{"ExpiredTokenAndSession", expired},
			{"ExpiredJWTOfLiveSession", sign(t, jwt.SigningMethodHS256, secret, with(claims, "exp", now-60))},
			{"LiveJWTOfExpiredSession", sign(t, jwt.SigningMethodHS256, secret, with(expiredClaims, "exp", now+3600))},
			{"NoExp", sign(t, jwt.SigningMethodHS256, secret, with(claims, "exp", nil))},
			{"ExpNotANumber", sign(t, jwt.SigningMethodHS256, secret, with(claims, "exp", "tomorrow"))},
			{"NoJTI", sign(t, jwt.SigningMethodHS256, secret, with(claims, "jti", nil))},
			{"UnknownJTI", sign(t, jwt.SigningMethodHS256, secret, with(claims, "jti", "no-such-session"))},
			{"HugeJTI", sign(t, jwt.SigningMethodHS256, secret, with(claims, "jti", strings.Repeat("j", 100)))},
			{"JTINotAString", sign(t, jwt.SigningMethodHS256, secret, with(claims, "jti", 42))},
			{"AlgNone", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims)},
			{"AlgNoneKeepingSignature", segment(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "." + sig},
			{"AlgNONEUpperCase", segment(t, map[string]any{"alg": "NONE", "typ": "JWT"}) + "." + parts[1] + "."},
			{"NoAlg", segment(t, map[string]any{"typ": "JWT"}) + "." + parts[1] + "." + sig},
			{"OtherSecret", sign(t, jwt.SigningMethodHS256, []byte("some other secret of a decent length"), claims)},
			{"EmptySecret", sign(t, jwt.SigningMethodHS256, []byte{}, claims)},
			{"HS384WithRightSecret", sign(t, jwt.SigningMethodHS384, secret, claims)},
			{"HS512WithRightSecret", sign(t, jwt.SigningMethodHS512, secret, claims)},
			{"PayloadNotJSON", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("not json")) + "." + sig},
			{"PayloadAnArray", parts[0] + "." + segment(t, []any{1, 2}) + "." + sig},
			{"Garbage", "garbage"},
			{"ThreeDots", "a.b.c"},
			{"OnlyDots", ".."},
			{"EmptyObjects", "e30.e30."},
			{"HeaderOnly", parts[0]},
			{"TwoSegments", parts[0] + "." + parts[1]},
			{"FourSegments", live + ".x"},
			{"NotBase64", "!!!.???.***"},
			{"Huge", strings.Repeat("A", 5000)},
			{"HugeValidLooking", parts[0] + "." + strings.Repeat("A", 4096) + "." + sig},
		}
		for _, tc := range bad {
			t.Run(tc.name+"IsRefused", func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				r := c.do(http.MethodGet, "/api/session", nil, "Cookie", h.cookieName("token")+"="+tc.token)
				wantStatus(t, r, http.StatusOK)
				wantBody(t, r, `{"user":null}`)
				wantCleared(t, r, "token")
				me := c.do(http.MethodGet, "/api/users/me", nil, "Cookie", h.cookieName("token")+"="+tc.token)
				wantStatus(t, me, http.StatusUnauthorized)
				wantBody(t, me, `{"message":"Authentication required"}`)
				wantCleared(t, me, "token")
			})
		}
	})
}

// TestSessionExpiry moves the server's clock: a session ends when its lifetime does.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		c := h.client(t)
		tok := c.mustLogin(demoUsername, demoPassword)
		h.clock.Advance(testTTL - time.Minute)
		if c.sessionUser() == nil {
			t.Fatal("the session ended a minute early")
		}
		h.clock.Advance(2 * time.Minute)
		r := h.client(t).do(http.MethodGet, "/api/session", nil, "Cookie", h.cookieName("token")+"="+tok)
		wantBody(t, r, `{"user":null}`)
		wantCleared(t, r, "token")
		wantStatus(t, c.do(http.MethodGet, "/api/users/me", nil), http.StatusUnauthorized)
	})
}
