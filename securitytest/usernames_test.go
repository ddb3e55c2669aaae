package securitytest

import (
	"encoding/json"
	"testing"

	"authme/internal/auth"
	"authme/internal/testdb"
)

// TestLookAlikeUsernames: names that only look like an existing one (other widths,
// invisible or direction-changing characters, accents and overlays, letters from another
// script, surrounding spaces) make no second account. A look-alike of a taken name is
// answered like the taken name, 409; a name built to deceive is refused, 400, with a
// message the page shows beside the field. Through the real server, on both databases.
func TestLookAlikeUsernames(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db) // Demo-lition, FakeUser1, FakeUser2
			a := start(t, db, options{ratePerMin: 6000, burst: 1000})
			c := newClient(t, a.URL)
			signup := func(username, email string) response {
				t.Helper()
				b, _ := json.Marshal(map[string]string{"username": username, "email": email, "password": "a long enough password"})
				return c.do("POST", a.URL+"/api/users", string(b), nil)
			}
			// A Latin name whose every letter has an exact Cyrillic twin.
			if r := signup("scope", "scope@user.io"); r.status != 201 {
				t.Fatalf("sign-up as scope: %d %s", r.status, r.body)
			}
			if r := signup("Demo", "plain-demo@user.io"); r.status != 201 {
				t.Fatalf("sign-up as Demo: %d %s", r.status, r.body)
			}
			taken := "User with that username already exists"

			tests := []struct {
				name, username string
				status         int
				msg            string // errors.username
			}{
				{"Fullwidth", "Ｄｅｍｏ-lition", 409, taken},
				{"AllFullwidth", "Ｄｅｍｏ-ｌｉｔｉｏｎ", 409, taken},
				{"OtherCaseFullwidth", "ＤＥＭＯ-ＬＩＴＩＯＮ", 409, taken},
				{"ZeroWidthSpaceInside", "Demo\u200b-lition", 400, auth.MsgUsernameInvisible},
				{"ZeroWidthJoinerInside", "Demo\u200d-lition", 400, auth.MsgUsernameInvisible},
				{"WordJoinerInside", "Demo\u2060-lition", 400, auth.MsgUsernameInvisible},
				{"RightToLeftOverride", "\u202enoitil-omeD", 400, auth.MsgUsernameInvisible},
				{"RightToLeftOverrideAtEnd", "Demo-lition\u202e", 400, auth.MsgUsernameInvisible},
				{"CombiningOverlay", "Demo\u0336-lition", 409, taken},
				{"CombiningAccent", "De\u0301mo-lition", 409, taken},
				{"PrecomposedAccent", "Démo-lition", 409, taken},
				{"LeadingCombiningMark", "\u0301Demo-lition", 400, auth.MsgUsernameMark},
				{"CyrillicLettersInside", "Dеmо-lition", 400, auth.MsgUsernameMixedScripts},
				{"CyrillicWordWithLatin", "Демо-lition", 400, auth.MsgUsernameMixedScripts},
				{"GreekLetterInside", "Dem\u03bf-lition", 400, auth.MsgUsernameMixedScripts},
				{"AllCyrillicDemo", "Демо", 409, taken},
				{"AllCyrillicCapitalDemo", "ДЕМО", 409, taken},
				{"AllCyrillicTwin", "ѕсоре", 409, taken},
				{"AllCyrillicCapitalTwin", "ЅСОРЕ", 409, taken},
				{"CapitalIForSmallL", "Demo-Iition", 409, taken},
				{"DigitForLetter", "FakeUserl", 409, taken},
				{"LeadingSpace", " Demo-lition", 400, auth.MsgUsernameSpaces},
				{"TrailingSpace", "Demo-lition ", 400, auth.MsgUsernameSpaces},
				{"NoBreakSpace", "Demo\u00a0lition", 400, auth.MsgUsernameSpaces},
				{"MathematicalLetters", "𝐃𝐞𝐦𝐨-lition", 400, auth.MsgUsernameSymbols},
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := signup(tt.username, "lookalike"+string(rune('a'+i))+"@user.io")
					if r.status != tt.status {
						t.Fatalf("sign-up as %q: %d %s, want %d", tt.username, r.status, r.body, tt.status)
					}
					body := r.json(t)
					errs, _ := body["errors"].(map[string]any)
					if got := errs["username"]; got != tt.msg || len(errs) != 1 {
						t.Errorf("sign-up as %q: errors %v, want only username: %q", tt.username, errs, tt.msg)
					}
					wantMsg := auth.MsgBadRequest
					if tt.status == 409 {
						wantMsg = auth.MsgUserExists
					}
					if body["message"] != wantMsg {
						t.Errorf("message %v, want %q", body["message"], wantMsg)
					}
				})
			}
			if n, err := db.UserCount(t.Context()); err != nil || n != 5 {
				t.Errorf("users = %d, %v; want the 3 demo users, scope and Demo, no look-alike", n, err)
			}

			t.Run("OneSpaceBetweenWordsIsAName", func(t *testing.T) {
				if r := signup("John Smith", "john@user.io"); r.status != 201 {
					t.Fatalf("sign-up as John Smith: %d %s", r.status, r.body)
				}
				if r := signup("JOHN SMITH", "john2@user.io"); r.status != 409 {
					t.Errorf("sign-up as JOHN SMITH: %d %s, want 409", r.status, r.body)
				}
			})

			t.Run("NamesAreStoredAsTyped", func(t *testing.T) {
				r := signup("Ｆｕｌｌｗｉｄｔｈ", "wide@user.io")
				if r.status != 201 {
					t.Fatalf("sign-up: %d %s", r.status, r.body)
				}
				if u := r.json(t)["user"].(map[string]any); u["username"] != "Ｆｕｌｌｗｉｄｔｈ" {
					t.Errorf("stored as %v, want as typed", u["username"])
				}
				if r := newClient(t, a.URL).login(a.URL, "fullwidth", "a long enough password"); r.status != 200 {
					t.Errorf("log-in by the narrow spelling: %d %s", r.status, r.body)
				}
			})

			t.Run("EmailDomainMustBeAHostName", func(t *testing.T) {
				for _, email := range []string{"a@-example.com", "a@example-.com", "a@ex_ample.com", "a@example.123"} {
					r := signup("EmailTester", email)
					if r.status != 400 {
						t.Errorf("sign-up with %q: %d %s, want 400", email, r.status, r.body)
						continue
					}
					if errs, _ := r.json(t)["errors"].(map[string]any); errs["email"] != auth.MsgEmailInvalid {
						t.Errorf("sign-up with %q: errors %v, want email: %q", email, errs, auth.MsgEmailInvalid)
					}
				}
			})
		})
	}
}
