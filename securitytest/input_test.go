package securitytest

import (
	"fmt"
	"net/http"
	"testing"

	"authme/internal/testdb"
)

const formType = "application/x-www-form-urlencoded"

// TestAlteredInputIsRefused: text that decoding would change (invalid UTF-8 in a form,
// an unpaired surrogate escape in JSON, a raw invalid byte in JSON) is refused with a 400
// naming the field, and nothing is stored; text that arrives intact, a typed U+FFFD
// among it, is accepted as it is.
func TestAlteredInputIsRefused(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) { alteredInput(t, tg) })
	}
}

func alteredInput(t *testing.T, tg testdb.Target) {
	db := tg.Migrated(t)
	seed(t, db)
	a := start(t, db, options{})
	const pw = "blue-otter-rides-9"

	refused := []struct {
		name, ctype, body, field string
	}{
		{"FormInvalidByteInUsername", formType, "username=ab%ffcd&email=form1@user.io&password=" + pw, "username"},
		{"FormInvalidByteInPassword", formType, "username=form2&email=form2@user.io&password=" + pw + "%ff", "password"},
		{"FormTruncatedSequenceInEmail", formType, "username=form3&email=form3%c3@user.io&password=" + pw, "email"},
		{"JSONLoneHighSurrogate", "", `{"username":"ab\ud800cd","email":"json1@user.io","password":"` + pw + `"}`, "username"},
		{"JSONLoneLowSurrogate", "", `{"username":"ab\udc00cd","email":"json2@user.io","password":"` + pw + `"}`, "username"},
		{"JSONHighSurrogateAtEnd", "", `{"username":"json3","email":"json3@user.io","password":"` + pw + `\uD800"}`, "password"},
		{"JSONHighThenHigh", "", `{"username":"ab\ud800\ud800cd","email":"json4@user.io","password":"` + pw + `"}`, "username"},
		{"JSONHighThenLetter", "", `{"username":"ab\ud800\u0041cd","email":"json5@user.io","password":"` + pw + `"}`, "username"},
		{"JSONLowThenHigh", "", `{"username":"ab\udc00\ud800cd","email":"json6@user.io","password":"` + pw + `"}`, "username"},
		{"JSONRawInvalidByte", "", "{\"username\":\"ab\xffcd\",\"email\":\"json7@user.io\",\"password\":\"" + pw + "\"}", "username"},
		{"JSONFieldNameMatchedLikeTheDecoder", "", `{"USERNAME":"ab\ud800cd","email":"json8@user.io","password":"` + pw + `"}`, "username"},
		{"JSONUnknownField", "", `{"username":"json9","email":"json9@user.io","password":"` + pw + `","note":"\ud800"}`, "body"},
	}
	for _, tc := range refused {
		t.Run("Refuses"+tc.name, func(t *testing.T) {
			before := snapshot(t, db.SQL())
			c := newClient(t, a.URL)
			h := map[string]string{}
			if tc.ctype != "" {
				h["Content-Type"] = tc.ctype
			}
			r := c.do(http.MethodPost, a.URL+"/api/users", tc.body, h)
			wantFieldError(t, r, tc.field)
			if after := snapshot(t, db.SQL()); after != before {
				t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	// A password that decoding would have turned into U+FFFD never matches another one
	// that decodes the same: both are refused before any comparison.
	t.Run("AlteredPasswordNeverLogsIn", func(t *testing.T) {
		c := newClient(t, a.URL)
		body := `{"username":"replacer","email":"replacer@user.io","password":"` + pw + "\uFFFD" + `"}`
		if r := c.do(http.MethodPost, a.URL+"/api/users", body, nil); r.status != 201 {
			t.Fatalf("sign-up with a typed U+FFFD: %d %s", r.status, r.body)
		}
		for _, tail := range []string{"%ff", "%fe", "%ed%a0%80"} {
			r := newClient(t, a.URL).do(http.MethodPost, a.URL+"/api/session", "credential=replacer&password="+pw+tail,
				map[string]string{"Content-Type": formType})
			wantFieldError(t, r, "password")
		}
		for _, tail := range []string{`\ud800`, `\udfff`} {
			r := newClient(t, a.URL).do(http.MethodPost, a.URL+"/api/session", `{"credential":"replacer","password":"`+pw+tail+`"}`, nil)
			wantFieldError(t, r, "password")
		}
	})

	accepted := []struct {
		name, ctype, login string
	}{
		{"TypedReplacementCharacterAsJSON", "", `{"credential":"replacer","password":"` + pw + "\uFFFD" + `"}`},
		{"EscapedReplacementCharacterAsJSON", "", `{"credential":"replacer","password":"` + pw + `\ufffd"}`},
		{"TypedReplacementCharacterAsForm", formType, "credential=replacer&password=" + pw + "%EF%BF%BD"},
	}
	for _, tc := range accepted {
		t.Run("Accepts"+tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.ctype != "" {
				h["Content-Type"] = tc.ctype
			}
			if r := newClient(t, a.URL).do(http.MethodPost, a.URL+"/api/session", tc.login, h); r.status != 200 {
				t.Errorf("log-in: %d %s, want 200", r.status, r.body)
			}
		})
	}

	t.Run("AcceptsSurrogatePairs", func(t *testing.T) {
		// U+20000, a CJK ideograph beyond the BMP: a letter (usernames refuse emoji),
		// which JSON writes as a surrogate pair.
		body := `{"username":"smile\ud840\udc00","email":"smile@user.io","password":"` + pw + `\uD83D\uDE00"}`
		r := newClient(t, a.URL).do(http.MethodPost, a.URL+"/api/users", body, nil)
		if r.status != 201 {
			t.Fatalf("sign-up with a surrogate pair: %d %s", r.status, r.body)
		}
		if u, _ := r.json(t)["user"].(map[string]any); u["username"] != "smile\U00020000" {
			t.Errorf("username %q, want smile\U00020000", u["username"])
		}
		login := "credential=smile%F0%A0%80%80&password=" + pw + "%F0%9F%98%80"
		if r := newClient(t, a.URL).do(http.MethodPost, a.URL+"/api/session", login, map[string]string{"Content-Type": formType}); r.status != 200 {
			t.Errorf("log-in by form: %d %s, want 200", r.status, r.body)
		}
	})

	t.Run("AcceptsAnEscapedBackslashBeforeU", func(t *testing.T) {
		// `\\ud800` is a backslash and the letters ud800, not an escape.
		body := `{"username":"back\\ud800","email":"back@user.io","password":"` + pw + `"}`
		r := newClient(t, a.URL).do(http.MethodPost, a.URL+"/api/users", body, nil)
		if r.status != 201 {
			t.Fatalf("sign-up: %d %s", r.status, r.body)
		}
		if u, _ := r.json(t)["user"].(map[string]any); u["username"] != `back\ud800` {
			t.Errorf("username %q, want back\\ud800", u["username"])
		}
	})
}

// TestSessionIDPathIsCheckedBeforeTheDatabase: a session id that is not the shape
// authme makes (NUL, invalid UTF-8, wrong length or alphabet) is a 404, never a 500 from
// the database.
func TestSessionIDPathIsCheckedBeforeTheDatabase(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{})
			c := newClient(t, a.URL)
			if r := c.login(a.URL, "Demo-lition", "password"); r.status != 200 {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			before := snapshot(t, db.SQL())
			for _, id := range []string{"%00", "%ff", "AAAAAAAAAAAAAAAAAAAAAAA%00", "AAAAAAAAAAAAAAAAAAAAAA%ff", "%ed%a0%80", "AAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAA"} {
				r := c.do(http.MethodDelete, a.URL+"/api/sessions/"+id, "", nil)
				if r.status != http.StatusNotFound {
					t.Errorf("DELETE /api/sessions/%s: %d %s, want 404", id, r.status, r.body)
					continue
				}
				if m := r.json(t)["message"]; m != "Session couldn't be found" {
					t.Errorf("DELETE /api/sessions/%s: message %v", id, m)
				}
			}
			if after := snapshot(t, db.SQL()); after != before {
				t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
			}
			if l := c.sessions(t, a.URL); len(l.Sessions) != 1 {
				t.Fatalf("%d sessions, want 1", len(l.Sessions))
			}
		})
	}
}

// wantFieldError checks r is the contract's 400 naming exactly field.
func wantFieldError(t *testing.T, r response, field string) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", r.status, r.body)
	}
	m := r.json(t)
	errs, _ := m["errors"].(map[string]any)
	if m["message"] != "Bad Request" || len(errs) != 1 || errs[field] == nil {
		t.Fatalf("body %s, want {\"message\":\"Bad Request\",\"errors\":{%q: …}}", r.body, field)
	}
	if s := fmt.Sprint(errs[field]); s == "" {
		t.Fatalf("empty message for %s", field)
	}
}
