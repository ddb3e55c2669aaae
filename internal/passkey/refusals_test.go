package passkey_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/passkey"
	"authme/internal/passkey/passkeytest"
	"authme/internal/testdb"
)

// tamper changes one field of an answer's response (a base64url value) with fn.
func tamper(t *testing.T, answer []byte, field string, fn func([]byte) []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(answer, &m); err != nil {
		t.Fatal(err)
	}
	resp := m["response"].(map[string]any)
	b, err := base64.RawURLEncoding.DecodeString(resp[field].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp[field] = base64.RawURLEncoding.EncodeToString(fn(b))
	return mustJSON(t, m)
}

// TestAnswersThatDoNotCheck: what an authenticator signs must all check, or the log-in is
// refused: the signature, the data it covers, the user present, the relying party, and
// the account the user handle names.
func TestAnswersThatDoNotCheck(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				setup  func(a *passkeytest.Authenticator)
				answer func(t *testing.T, f fixture, answer []byte) []byte
			}{
				{"ATamperedSignature", nil, func(t *testing.T, _ fixture, ans []byte) []byte {
					return tamper(t, ans, "signature", func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
				}},
				{"TamperedAuthenticatorData", nil, func(t *testing.T, _ fixture, ans []byte) []byte {
					// The counter, inside the signed data: the signature no longer covers it.
					return tamper(t, ans, "authenticatorData", func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
				}},
				{"NoUserPresent", func(a *passkeytest.Authenticator) { a.Absent = true }, nil},
				{"AnotherRelyingParty", func(a *passkeytest.Authenticator) { a.RPID = "evil.example" }, nil},
				{"AUserHandleNamingAnotherAccount", nil, func(t *testing.T, f fixture, ans []byte) []byte {
					bob, err := testdb.CreateUser(context.Background(), f.db, "bob", "bob@example.com", "h:x")
					if err != nil {
						t.Fatal(err)
					}
					return tamper(t, ans, "userHandle", func([]byte) []byte { return passkey.Handle(bob.ID) })
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					f := setup(t, tg)
					a := passkeytest.New(origin, true)
					f.register(t, f.svc, a)
					if tc.setup != nil {
						tc.setup(a)
					}
					opts, err := f.svc.BeginLogin(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					ans, err := a.Login(mustJSON(t, opts))
					if err != nil {
						t.Fatal(err)
					}
					if tc.answer != nil {
						ans = tc.answer(t, f, ans)
					}
					if _, err := f.svc.VerifyLogin(context.Background(), ans, login.Client{}); !errors.Is(err, auth.ErrPasskeyRefused) {
						t.Errorf("VerifyLogin = %v, want refused", err)
					}
				})
			}
		})
	}
}

// TestChallengesAreKeptHashed: a begun ceremony's row holds no challenge in the clear,
// only its SHA-256, so a copy of the table cannot answer one.
func TestChallengesAreKeptHashed(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			f := setup(t, tg)
			ctx := context.Background()
			login, err := f.svc.BeginLogin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			reg, err := f.svc.BeginRegistration(ctx, f.user, f.recent(), loginClient())
			if err != nil {
				t.Fatal(err)
			}
			challenges := []string{login.Response.Challenge.String(), reg.Response.Challenge.String()}
			rows, err := f.db.SQL().Query(`SELECT "hash", "session" FROM "WebAuthnChallenges"`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var hash, session string
				if err := rows.Scan(&hash, &session); err != nil {
					t.Fatal(err)
				}
				n++
				for _, c := range challenges {
					raw, _ := base64.RawURLEncoding.DecodeString(c)
					if c == "" || strings.Contains(hash+session, c) || strings.Contains(hash+session, base64.StdEncoding.EncodeToString(raw)) {
						t.Errorf("a challenge is stored in the clear: hash %q session %q", hash, session)
					}
				}
			}
			if n != 2 {
				t.Errorf("%d ceremonies stored, want 2", n)
			}
		})
	}
}

// TestACredentialRegisteredTwiceIs409: an authenticator that ignores excludeCredentials
// and answers with a credential registered already gets a conflict, not a second row.
func TestACredentialRegisteredTwiceIs409(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			f := setup(t, tg)
			a := passkeytest.New(origin, true)
			f.register(t, f.svc, a)
			a.Again = true
			ctx := context.Background()
			opts, err := f.svc.BeginRegistration(ctx, f.user, f.recent(), loginClient())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := a.Register(mustJSON(t, opts))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.FinishRegistration(ctx, f.user, "Again", resp, "", loginClient()); !errors.Is(err, auth.ErrPasskeyExists) {
				t.Errorf("FinishRegistration = %v, want ErrPasskeyExists", err)
			}
			if list, _ := f.svc.List(ctx, f.user.ID); len(list) != 1 {
				t.Errorf("%d passkeys, want 1", len(list))
			}
		})
	}
}

func loginClient() login.Client { return login.Client{} }
