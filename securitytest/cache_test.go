package securitytest

import (
	"net/http"
	"testing"

	"authme/internal/testdb"
)

// TestAPIAnswersAreNotStored: every /api/ answer, user data, tokens and errors alike,
// carries Cache-Control: no-store, so no browser or shared cache keeps a copy; the page
// and its assets keep their own caching.
func TestAPIAnswersAreNotStored(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	a := start(t, db, options{})
	c := newClient(t, a.URL)
	guest := newClient(t, a.URL)
	steps := []struct {
		name         string
		c            *client
		method, path string
		body         string
		header       map[string]string
		status       int
	}{
		{"CSRFRestore", guest, "GET", "/api/csrf/restore", "", nil, 200},
		{"SessionAsGuest", guest, "GET", "/api/session", "", nil, 200},
		{"SignUp", guest, "POST", "/api/users", `{"username":"cache-me","email":"cache@user.io","password":"blue-otter-rides-9"}`, nil, 201},
		{"LogIn", c, "POST", "/api/session", `{"credential":"Demo-lition","password":"password"}`, nil, 200},
		{"Session", c, "GET", "/api/session", "", nil, 200},
		{"Me", c, "GET", "/api/users/me", "", nil, 200},
		{"Sessions", c, "GET", "/api/sessions", "", nil, 200},
		{"WrongPassword", guest, "POST", "/api/session", `{"credential":"Demo-lition","password":"wrong-password"}`, nil, 401},
		{"BadBody", c, "POST", "/api/session", `{`, nil, 400},
		{"NoCSRFToken", c, "POST", "/api/session", `{}`, map[string]string{"XSRF-Token": ""}, 403},
		{"UnknownAPIPath", c, "GET", "/api/nothing-here", "", nil, 404},
		{"WrongMethod", c, "PATCH", "/api/session", "", nil, 405},
		{"AuthRequired", newClient(t, a.URL), "GET", "/api/users/me", "", nil, 401},
		{"LogOut", c, "DELETE", "/api/session", "", nil, 200},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := st.c.do(st.method, a.URL+st.path, st.body, st.header)
			if r.status != st.status {
				t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, r.status, r.body, st.status)
			}
			if got := r.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
				t.Errorf("%s %s: Cache-Control %q, want no-store", st.method, st.path, got)
			}
		})
	}
	t.Run("PageKeepsNoCache", func(t *testing.T) {
		r := guest.do("GET", a.URL+"/", "", nil)
		if got := r.header.Get("Cache-Control"); r.status != http.StatusOK || got != "no-cache" {
			t.Errorf("GET /: %d, Cache-Control %q, want 200 no-cache", r.status, got)
		}
	})
}
