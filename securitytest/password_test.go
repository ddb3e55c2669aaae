package securitytest

import (
	"strings"
	"testing"

	"authme/internal/testdb"
)

// TestPasswordChange: the current password is required, the new one must pass the
// rules, every other session ends, and this one continues under a new token
// (ASVS 6.2.2, 6.2.3, 7.4.3, 7.5.1).
func TestPasswordChange(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{})
			here, elsewhere := newClient(t, a.URL), newClient(t, a.URL)
			here.login(a.URL, "FakeUser1", "password2")
			elsewhere.login(a.URL, "FakeUser1", "password2")
			before := here.token()

			put := func(body string) response {
				return here.do("PUT", a.URL+"/api/users/me/password", body, nil)
			}
			for _, c := range []struct {
				name, body, field, message string
			}{
				{"WrongCurrentPassword", `{"currentPassword":"nope","newPassword":"a brand new secret"}`, "currentPassword", "Current password is incorrect"},
				{"MissingCurrentPassword", `{"newPassword":"a brand new secret"}`, "currentPassword", "Current password is required"},
				{"CommonNewPassword", `{"currentPassword":"password2","newPassword":"baseball1"}`, "newPassword", "This password is too common. Choose another."},
				{"NewPasswordIsTheUsername", `{"currentPassword":"password2","newPassword":"fakeuser1"}`, "newPassword", "Password cannot be your username or email."},
				{"ShortNewPassword", `{"currentPassword":"password2","newPassword":"short"}`, "newPassword", "Password must be 8 to 256 characters."},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := put(c.body)
					if r.status != 400 {
						t.Fatalf("status %d %s, want 400", r.status, r.body)
					}
					if errs, _ := r.json(t)["errors"].(map[string]any); errs[c.field] != c.message {
						t.Fatalf("errors %v, want %s: %q", errs, c.field, c.message)
					}
				})
			}
			if r := elsewhere.do("GET", a.URL+"/api/users/me", "", nil); r.status != 200 {
				t.Fatalf("refused changes ended the other session: %d", r.status)
			}

			r := put(`{"currentPassword":"password2","newPassword":"a brand new secret"}`)
			if r.status != 200 {
				t.Fatalf("change: %d %s", r.status, r.body)
			}
			if u := r.json(t)["user"].(map[string]any); u["username"] != "FakeUser1" {
				t.Fatalf("answer %s", r.body)
			}
			after := here.token()
			if after == "" || after == before {
				t.Fatal("the change did not issue a new token")
			}
			if r := here.do("GET", a.URL+"/api/users/me", "", nil); r.status != 200 {
				t.Fatalf("this session did not continue: %d", r.status)
			}
			if r := elsewhere.do("GET", a.URL+"/api/users/me", "", nil); r.status != 401 {
				t.Fatalf("the other session survived the change: %d", r.status)
			}
			replay := newClient(t, a.URL)
			if r := replay.do("GET", a.URL+"/api/session", "", map[string]string{"Cookie": "token=" + before}); strings.TrimSpace(r.body) != `{"user":null}` {
				t.Fatalf("the token from before the change still works: %s", r.body)
			}
			if r := newClient(t, a.URL).login(a.URL, "FakeUser1", "password2"); r.status != 401 {
				t.Fatalf("the old password still logs in: %d", r.status)
			}
			if r := newClient(t, a.URL).login(a.URL, "user1@user.io", "a brand new secret"); r.status != 200 {
				t.Fatalf("the new password does not log in: %d %s", r.status, r.body)
			}
			if r := newClient(t, a.URL).do("PUT", a.URL+"/api/users/me/password", `{}`, nil); r.status != 401 {
				t.Fatalf("without a session: %d, want 401", r.status)
			}
		})
	}
}
