package securitytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"
	"authme/internal/testkit"
)

type sessionList struct {
	Sessions []struct {
		ID         string    `json:"id"`
		CreatedAt  time.Time `json:"createdAt"`
		LastSeenAt time.Time `json:"lastSeenAt"`
		ExpiresAt  time.Time `json:"expiresAt"`
		UserAgent  string    `json:"userAgent"`
		Current    bool      `json:"current"`
	} `json:"sessions"`
}

func (c *client) sessions(t *testing.T, base string) sessionList {
	t.Helper()
	r := c.do("GET", base+"/api/sessions", "", nil)
	if r.status != 200 {
		t.Fatalf("GET /api/sessions: %d %s", r.status, r.body)
	}
	var l sessionList
	if err := json.Unmarshal([]byte(r.body), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func (c *client) token() string {
	for _, ck := range c.http.Jar.Cookies(mustURL(c.base)) {
		if ck.Name == "token" {
			return ck.Value
		}
	}
	return ""
}

// TestSessionManagement: a user sees their devices, ends one, ends all others, and an
// ended session's token is dead (ASVS 7.4.1, 7.5.2).
func TestSessionManagement(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{})
			phone, laptop, tablet := newClient(t, a.URL), newClient(t, a.URL), newClient(t, a.URL)
			for _, d := range []struct {
				c  *client
				ua string
			}{{phone, "Phone/1.0"}, {laptop, "Laptop/2.0"}, {tablet, "Tablet/3.0"}} {
				r := d.c.do("POST", a.URL+"/api/session", `{"credential":"Demo-lition","password":"password"}`, map[string]string{"User-Agent": d.ua})
				if r.status != 200 {
					t.Fatalf("login %s: %d %s", d.ua, r.status, r.body)
				}
			}
			l := laptop.sessions(t, a.URL)
			if len(l.Sessions) != 3 {
				t.Fatalf("sessions: %+v, want 3", l)
			}
			var current, phoneID string
			for _, s := range l.Sessions {
				if s.Current {
					if current != "" {
						t.Fatal("two sessions marked current")
					}
					current = s.ID
					if s.UserAgent != "Laptop/2.0" {
						t.Errorf("current session's user agent %q", s.UserAgent)
					}
				}
				if s.UserAgent == "Phone/1.0" {
					phoneID = s.ID
				}
				if s.CreatedAt.IsZero() || s.LastSeenAt.IsZero() || !s.ExpiresAt.After(s.CreatedAt) {
					t.Errorf("session times %+v", s)
				}
			}
			if current == "" || phoneID == "" {
				t.Fatalf("sessions %+v lack the current or the phone one", l)
			}
			// Another user cannot end Demo-lition's session, nor see it.
			other := newClient(t, a.URL)
			other.login(a.URL, "FakeUser1", "password2")
			if r := other.do("DELETE", a.URL+"/api/sessions/"+phoneID, "", nil); r.status != 404 {
				t.Fatalf("another user ending the phone's session: %d %s", r.status, r.body)
			}
			if n := len(other.sessions(t, a.URL).Sessions); n != 1 {
				t.Fatalf("FakeUser1 sees %d sessions, want only their own", n)
			}

			if r := laptop.do("DELETE", a.URL+"/api/sessions/"+phoneID, "", nil); r.status != 200 {
				t.Fatalf("end the phone's session: %d %s", r.status, r.body)
			}
			if r := phone.do("GET", a.URL+"/api/session", "", nil); strings.TrimSpace(r.body) != `{"user":null}` {
				t.Fatalf("the phone is still logged in: %s", r.body)
			}
			if r := laptop.do("DELETE", a.URL+"/api/sessions/"+phoneID, "", nil); r.status != 404 {
				t.Fatalf("ending it twice: %d, want 404", r.status)
			}

			r := laptop.do("DELETE", a.URL+"/api/sessions", "", nil)
			if r.status != 200 || r.json(t)["ended"] != float64(1) {
				t.Fatalf("end all others: %d %s, want 1 ended", r.status, r.body)
			}
			if r := tablet.do("GET", a.URL+"/api/users/me", "", nil); r.status != 401 {
				t.Fatalf("the tablet is still logged in: %d", r.status)
			}
			if r := laptop.do("GET", a.URL+"/api/users/me", "", nil); r.status != 200 {
				t.Fatalf("the laptop lost its own session: %d", r.status)
			}
			if l := laptop.sessions(t, a.URL); len(l.Sessions) != 1 || !l.Sessions[0].Current {
				t.Fatalf("after ending others: %+v", l)
			}
			// Ending the current session logs this client out.
			r = laptop.do("DELETE", a.URL+"/api/sessions/"+current, "", nil)
			if r.status != 200 || !cleared(r.cookies, "token") {
				t.Fatalf("end the current session: %d, cookies %v", r.status, r.cookies)
			}
			for _, path := range []string{"/api/sessions", "/api/sessions/x"} {
				method := "GET"
				if path != "/api/sessions" {
					method = "DELETE"
				}
				if r := newClient(t, a.URL).do(method, a.URL+path, "", nil); r.status != 401 {
					t.Errorf("%s %s without a session: %d, want 401", method, path, r.status)
				}
			}
		})
	}
}

func cleared(cookies []*http.Cookie, name string) bool {
	for _, c := range cookies {
		if c.Name == name && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// TestEveryLoginIssuesANewToken: the session id comes from the server, and a log-in
// replaces the session the client came with (ASVS 7.2.4).
func TestEveryLoginIssuesANewToken(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	a := start(t, db, options{})
	c := newClient(t, a.URL)
	c.login(a.URL, "Demo-lition", "password")
	first := c.token()
	c.login(a.URL, "Demo-lition", "password")
	second := c.token()
	if first == "" || first == second {
		t.Fatalf("tokens %q and %q: want two different ones", first, second)
	}
	replay := newClient(t, a.URL)
	r := replay.do("GET", a.URL+"/api/session", "", map[string]string{"Cookie": "token=" + first})
	if strings.TrimSpace(r.body) != `{"user":null}` {
		t.Fatalf("the replaced token still works: %s", r.body)
	}
	if n := len(c.sessions(t, a.URL).Sessions); n != 1 {
		t.Fatalf("%d sessions after logging in twice from one client, want 1", n)
	}
}

// TestIdleTimeoutAndLastSeen: a session unused for SESSION_IDLE_TIMEOUT ends; "last seen"
// is written at most once a minute (ASVS 7.3.1, 7.3.2).
func TestIdleTimeoutAndLastSeen(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	clk := testkit.NewClock(time.Now())
	a := start(t, db, options{clock: clk}) // idle timeout 1 h, lifetime 1 h
	c := newClient(t, a.URL)
	c.login(a.URL, "Demo-lition", "password")
	seen := func() time.Time { return c.sessions(t, a.URL).Sessions[0].LastSeenAt }
	t0 := seen()

	clk.Advance(30 * time.Second)
	if got := seen(); !got.Equal(t0) {
		t.Fatalf("last seen moved after 30 s (%v → %v): want at most one write a minute", t0, got)
	}
	clk.Advance(31 * time.Second)
	c.do("GET", a.URL+"/api/session", "", nil)
	if got := seen(); !got.After(t0) {
		t.Fatalf("last seen did not move after a minute: %v", got)
	}
	// Used every 50 minutes, the session outlives its idle timeout…
	clk.Advance(50 * time.Minute)
	if r := c.do("GET", a.URL+"/api/users/me", "", nil); r.status != 200 {
		t.Fatalf("after 50 idle minutes: %d", r.status)
	}
	// …until its absolute lifetime (1 h) is over.
	clk.Advance(10 * time.Minute)
	if r := c.do("GET", a.URL+"/api/users/me", "", nil); r.status != 401 {
		t.Fatalf("past the absolute lifetime: %d, want 401", r.status)
	}

	c.login(a.URL, "Demo-lition", "password")
	clk.Advance(61 * time.Minute)
	r := c.do("GET", a.URL+"/api/session", "", nil)
	if strings.TrimSpace(r.body) != `{"user":null}` || !cleared(r.cookies, "token") {
		t.Fatalf("after an idle hour: %s, cookies %v; want no user and a cleared cookie", r.body, r.cookies)
	}
}
