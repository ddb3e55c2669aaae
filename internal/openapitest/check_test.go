package openapitest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authme/internal/openapitest"
)

// TestCheck shows the checker refuses what the document does not describe, and lets
// through what it does.
func TestCheck(t *testing.T) {
	t.Parallel()
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	const user = `{"user":{"id":1,"username":"Demo-lition","email":"demo@user.io"},"emailVerifiedAt":null}`
	const login = `{"credential":"demo@user.io","password":"password"}`
	apiHeaders := []string{"Content-Type", "application/json; charset=utf-8", "Cache-Control", "no-store", "X-Request-Id", "abc-1"}
	for _, tc := range []struct {
		name         string
		method, path string
		reqBody      string
		status       int
		header       []string
		resBody      string
		want         string // "" when the exchange is described
	}{
		{"Described", "GET", "/api/session", "", 200, apiHeaders, `{"user":null}`, ""},
		{"DescribedLogin", "POST", "/api/session", login, 200, apiHeaders, user, ""},
		{"ErrExtraField", "GET", "/api/session", "", 200, apiHeaders, `{"user":null,"admin":true}`, "admin"},
		{"ErrExtraUserField", "GET", "/api/users/me", "", 200, apiHeaders, `{"user":{"id":1,"username":"a","email":"b","hashedPassword":"x"},"emailVerifiedAt":null}`, "hashedPassword"},
		{"ErrUndocumentedHeader", "GET", "/api/session", "", 200, append([]string{"X-Debug", "1"}, apiHeaders...), `{"user":null}`, "X-Debug"},
		{"ErrUndocumentedStatus", "GET", "/api/session", "", 418, apiHeaders, `{"message":"teapot"}`, "status is not supported"},
		{"ErrUndocumentedRoute", "GET", "/api/nope", "", 200, apiHeaders, `{}`, "undocumented route"},
		{"UnknownPathIs404", "GET", "/api/nope", "", 404, apiHeaders, `{"message":"The requested resource couldn't be found."}`, ""},
		{"ErrOtherMethodWithoutAllow", "PATCH", "/api/session", "", 405, apiHeaders, `{"message":"Method Not Allowed"}`, "Allow"},
		{"ErrNoStoreMissing", "GET", "/api/session", "", 200, []string{"Content-Type", "application/json"}, `{"user":null}`, "Cache-Control"},
		{"ErrRetryAfterMissing", "POST", "/api/session", login, 429, apiHeaders, `{"message":"Too many attempts, try again later"}`, "Retry-After"},
		{"ErrErrorsNotStrings", "POST", "/api/session", `{}`, 400, apiHeaders, `{"message":"Bad Request","errors":{"credential":1}}`, "errors"},
		{"ErrRefusedRequestAnswered200", "POST", "/api/session", `{"credential":"demo@user.io"}`, 200, apiHeaders, user, "request refused"},
		{"RefusedRequestAnswered400", "POST", "/api/session", `{"credential":"demo@user.io"}`, 400, apiHeaders, `{"message":"Bad Request","errors":{"password":"Password is required"}}`, ""},
		{"FormLogin", "POST", "/api/session", "credential=demo&password=password", 200, apiHeaders, user, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "http://authme.test"+tc.path, strings.NewReader(tc.reqBody))
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
				if !strings.HasPrefix(tc.reqBody, "{") {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
			}
			res := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			for i := 0; i+1 < len(tc.header); i += 2 {
				res.Header.Set(tc.header[i], tc.header[i+1])
			}
			if tc.status == 405 {
				res.Header.Del("Allow")
			}
			err := doc.Check(req, []byte(tc.reqBody), res, []byte(tc.resBody))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("described exchange refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("undescribed exchange passed, want an error about %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}
