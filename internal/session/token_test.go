package session

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("a secret of a good length for the tests here")
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(secret, func() time.Time { return now })
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	live := jwt.MapClaims{"jti": "abc", "exp": now.Add(time.Hour).Unix(), "data": map[string]any{"id": 1}}
	good := sign(jwt.SigningMethodHS256, secret, live)
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(good, ".")

	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"OurTokenIsAccepted", good, true},
		{"OtherSecretIsRefused", sign(jwt.SigningMethodHS256, []byte("another secret entirely, same length.."), live), false},
		{"HS512IsRefused", sign(jwt.SigningMethodHS512, secret, live), false},
		{"AlgNoneIsRefused", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", false},
		{"TamperedPayloadIsRefused", parts[0] + "." + b64([]byte(`{"jti":"abd","exp":9999999999}`)) + "." + parts[2], false},
		{"ExpiredIsRefused", sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"jti": "abc", "exp": now.Add(-time.Second).Unix()}), false},
		{"MissingExpIsRefused", sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"jti": "abc"}), false},
		{"MissingJTIIsRefused", sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": now.Add(time.Hour).Unix()}), false},
		{"HugeIDInPayloadStillNeedsSignature", parts[0] + "." + b64([]byte(`{"jti":"x","exp":9e99,"data":{"id":1e300}}`)) + "." + parts[2], false},
		{"SignatureBitsFlippedIsRefused", good[:len(good)-1] + string(good[len(good)-1]^1), false},
		{"TooLongIsRefused", good + strings.Repeat("a", maxTokenLen), false},
		{"EmptyIsRefused", "", false},
		{"TwoPartsIsRefused", parts[0] + "." + parts[1], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, ok := v.verify(c.token)
			if ok != c.ok {
				t.Fatalf("verify = %q, %v; want ok=%v", id, ok, c.ok)
			}
			if ok && id != "abc" {
				t.Fatalf("jti = %q, want abc", id)
			}
		})
	}
}
