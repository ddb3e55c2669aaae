package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"authme/internal/testdb"
)

// TestBodies sends bodies that are too big, malformed or of the wrong shape: each is a
// 4xx JSON error, never a 500.
func TestBodies(t *testing.T) {
	t.Parallel()
	const okLogin = `{"credential":"Demo-lition","password":"password"}`
	// padTo pads a JSON document with trailing spaces to n bytes.
	padTo := func(doc string, n int) string { return doc + strings.Repeat(" ", n-len(doc)) }
	scenarios := []struct {
		name, path string
		body       string
		ctype      string // "" for application/json
		noHeader   bool   // send no CSRF header: the check reads the body first
		status     int
		fields     []string // the keys of "errors", when status is 400
	}{
		{name: "OneByteOver1MiBIs413", path: "/api/session", body: padTo(okLogin, MaxBodyBytes+1), status: 413},
		{name: "TwoMiBIs413", path: "/api/session", body: padTo(okLogin, 2<<20), status: 413},
		{name: "TenMiBSignupIs413", path: "/api/users", body: padTo(`{"username":"big"}`, 10<<20), status: 413},
		{name: "Over1MiBBeforeCSRFCheckIs413", path: "/api/session", body: padTo(okLogin, 2<<20), noHeader: true, status: 413},
		{name: "Over1MiBFormIs413", path: "/api/session", body: "credential=" + strings.Repeat("a", 2<<20), ctype: "application/x-www-form-urlencoded", status: 413},
		{name: "Exactly1MiBIsRead", path: "/api/session", body: padTo(okLogin, MaxBodyBytes), status: 200},

		{name: "TruncatedJSONIs400", path: "/api/session", body: `{"credential":`, status: 400, fields: []string{"body"}},
		{name: "OpenBraceIs400", path: "/api/session", body: `{`, status: 400, fields: []string{"body"}},
		{name: "TrailingCommaIs400", path: "/api/session", body: `{"credential":"Demo-lition","password":"password",}`, status: 400, fields: []string{"body"}},
		{name: "SingleQuotesIs400", path: "/api/session", body: `{'credential':'Demo-lition'}`, status: 400, fields: []string{"body"}},
		{name: "NotJSONIs400", path: "/api/session", body: `credential=Demo-lition`, status: 400, fields: []string{"body"}},
		{name: "TwoObjectsIs400", path: "/api/session", body: okLogin + okLogin, status: 400, fields: []string{"body"}},
		{name: "TrailingGarbageIs400", path: "/api/session", body: okLogin + " x", status: 400, fields: []string{"body"}},
		{name: "TrailingBraceIs400", path: "/api/session", body: okLogin + "}", status: 400, fields: []string{"body"}},
		{name: "TrailingBracketIs400", path: "/api/session", body: okLogin + "]", status: 400, fields: []string{"body"}},
		{name: "DeeplyNestedIs400", path: "/api/session", body: `{"credential":` + strings.Repeat("[", 20000), status: 400, fields: []string{"body"}},
		{name: "MalformedFormIs400", path: "/api/session", body: "credential=%zz&password=x", ctype: "application/x-www-form-urlencoded", status: 400, fields: []string{"body"}},
		{name: "InvalidUTF8Is400", path: "/api/session", body: "{\"credential\":\"Demo\xff\",\"password\":\"password\"}", status: 400, fields: []string{"credential"}},
		{name: "LoneSurrogateIs400", path: "/api/session", body: `{"credential":"Demo-lition","password":"password\ud800"}`, status: 400, fields: []string{"password"}},
		{name: "InvalidUTF8FormIs400", path: "/api/session", body: "credential=Demo-lition&password=password%ff", ctype: "application/x-www-form-urlencoded", status: 400, fields: []string{"password"}},
		{name: "SignupMalformedIs400", path: "/api/users", body: `{"username":"x"`, status: 400, fields: []string{"body"}},

		{name: "CredentialNumberIs400", path: "/api/session", body: `{"credential":123,"password":"password"}`, status: 400, fields: []string{"credential"}},
		{name: "PasswordBoolIs400", path: "/api/session", body: `{"credential":"Demo-lition","password":true}`, status: 400, fields: []string{"password"}},
		{name: "CredentialArrayIs400", path: "/api/session", body: `{"credential":["Demo-lition"],"password":"password"}`, status: 400, fields: []string{"credential"}},
		{name: "CredentialObjectIs400", path: "/api/session", body: `{"credential":{"$ne":null},"password":"password"}`, status: 400, fields: []string{"credential"}},
		{name: "CredentialNullIsMissing", path: "/api/session", body: `{"credential":null,"password":"password"}`, status: 400, fields: []string{"credential"}},
		{name: "UsernameNumberIs400", path: "/api/users", body: `{"username":1234,"email":"n@user.io","password":"blue-otter-rides-9"}`, status: 400, fields: []string{"username"}},
		{name: "ArrayBodyIs400", path: "/api/session", body: `[]`, status: 400, fields: []string{"body"}},
		{name: "StringBodyIs400", path: "/api/session", body: `"Demo-lition"`, status: 400, fields: []string{"body"}},
		{name: "NumberBodyIs400", path: "/api/session", body: `42`, status: 400, fields: []string{"body"}},

		{name: "UnknownFieldsAreIgnored", path: "/api/session", body: `{"credential":"Demo-lition","password":"password","admin":true}`, status: 200},
		{name: "TextBodyIs415", path: "/api/session", body: okLogin, ctype: "text/plain", status: 415},
		{name: "BadContentTypeIs415", path: "/api/session", body: okLogin, ctype: "application/json; charset", status: 415},
	}
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				c := h.client(t)
				ctype := sc.ctype
				if ctype == "" {
					ctype = "application/json"
				}
				header := []string{"Content-Type", ctype}
				if !sc.noHeader {
					header = append(header, "XSRF-Token", c.csrfToken())
				}
				r := c.do(http.MethodPost, sc.path, sc.body, header...)
				wantStatus(t, r, sc.status)
				if sc.status == http.StatusOK {
					wantUser(t, r, demoUsername, demoEmail)
					return
				}
				body := r.jsonObject(t)
				if sc.status == http.StatusBadRequest {
					if body["message"] != "Bad Request" {
						t.Errorf("message %v, want Bad Request", body["message"])
					}
					fields, _ := body["errors"].(map[string]any)
					if got := keysOf(fields); !reflect.DeepEqual(got, sc.fields) {
						t.Errorf("errors %v, want the fields %v", fields, sc.fields)
					}
				}
				if len(sc.body) > 64 && strings.Contains(string(r.body), sc.body[:64]) {
					t.Errorf("the error echoes the body: %s", r.body)
				}
			})
		}
	})
}
