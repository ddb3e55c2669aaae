package securitytest

import (
	"encoding/json"
	"testing"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// TestWeakPasswordsRefused: sign-up and password change refuse the passwords NIST SP
// 800-63B's context checks name (blank, repeated, sequential, personal, the service's own
// name), each with a 400 whose errors name the rule, and store nothing.
func TestWeakPasswordsRefused(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{})
			const username, email = "Lighthouse", "keeper.of.light@user.io"
			cases := []struct {
				name, password, message string
			}{
				{"EightSpaces", "        ", auth.MsgPasswordBlank},
				{"OneCharacterRepeated", "aaaaaaaaaa", auth.MsgPasswordRepeated},
				{"ShortPatternRepeated", "abcabcabc", auth.MsgPasswordRepeated},
				{"Alphabet", "abcdefghij", auth.MsgPasswordSequence},
				{"DigitsDescending", "87654321", auth.MsgPasswordSequence},
				{"KeyboardRow", "qwertyuiop", auth.MsgPasswordSequence},
				{"EmailLocalPart", "Keeper.Of.Light", auth.MsgPasswordPersonal},
				{"UsernameWithDigits", "lighthouse1", auth.MsgPasswordPersonal},
				{"ServiceName", "authme123", auth.MsgPasswordService},
			}
			for _, c := range cases {
				t.Run("Signup"+c.name, func(t *testing.T) {
					body, _ := json.Marshal(map[string]string{"username": username, "email": email, "password": c.password})
					r := newClient(t, a.URL).do("POST", a.URL+"/api/users", string(body), nil)
					wantRule(t, r, "password", c.message)
				})
			}
			if n, err := db.UserCount(t.Context()); err != nil || n != 3 {
				t.Fatalf("users after refused sign-ups: %d, %v; want the 3 demo users", n, err)
			}

			me := newClient(t, a.URL)
			if r := me.login(a.URL, "FakeUser1", "password2"); r.status != 200 {
				t.Fatalf("log-in: %d %s", r.status, r.body)
			}
			for _, c := range cases {
				if c.message == auth.MsgPasswordPersonal {
					continue // the demo user's own names are tried below
				}
				t.Run("Change"+c.name, func(t *testing.T) {
					body, _ := json.Marshal(map[string]string{"currentPassword": "password2", "newPassword": c.password})
					wantRule(t, me.do("PUT", a.URL+"/api/users/me/password", string(body), nil), "newPassword", c.message)
				})
			}
			t.Run("ChangeToEmailLocalPartWithDigits", func(t *testing.T) {
				r := me.do("PUT", a.URL+"/api/users/me/password", `{"currentPassword":"password2","newPassword":"user1-2024"}`, nil)
				wantRule(t, r, "newPassword", auth.MsgPasswordPersonal)
			})

			body, _ := json.Marshal(map[string]string{"username": username, "email": email, "password": "tidal-basin-47"})
			if r := newClient(t, a.URL).do("POST", a.URL+"/api/users", string(body), nil); r.status != 201 {
				t.Fatalf("a good password was refused: %d %s", r.status, r.body)
			}
		})
	}
}

// wantRule checks a 400 whose errors[field] is message.
func wantRule(t *testing.T, r response, field, message string) {
	t.Helper()
	if r.status != 400 {
		t.Fatalf("status %d %s, want 400", r.status, r.body)
	}
	if errs, _ := r.json(t)["errors"].(map[string]any); errs[field] != message {
		t.Fatalf("errors %v, want %s: %q", errs, field, message)
	}
}
