package securitytest

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"authme/internal/openapitest"
	"authme/internal/testdb"
)

// TestFirstVisitRaceLeavesAValidCSRFPair: an authenticate-me frontend's first visit
// sends GET /api/csrf/restore and GET /api/session at once, without cookies. Whichever
// answer the browser applies last, it holds a _csrf secret and an XSRF-TOKEN made for
// it, and the first log-in succeeds.
func TestFirstVisitRaceLeavesAValidCSRFPair(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	a := start(t, db, options{})
	bare := openapitest.Client(t, &http.Client{Timeout: 20 * time.Second}) // no jar: every request comes without cookies
	firsts := []string{"/api/csrf/restore", "/api/session", "/hello/world", "/", "/api/users/me", "/healthz"}
	for _, other := range firsts[1:] {
		for _, order := range []string{"RestoreLandsLast", "OtherLandsLast"} {
			name := strings.ReplaceAll(strings.Trim(other, "/"), "/", "-")
			if name == "" {
				name = "page"
			}
			t.Run(name+"/"+order, func(t *testing.T) {
				restore := cookiesOf(t, bare, a.URL+"/api/csrf/restore")
				second := cookiesOf(t, bare, a.URL+other)
				applied := [][]*http.Cookie{second, restore}
				if order == "OtherLandsLast" {
					applied = [][]*http.Cookie{restore, second}
				}
				jar, _ := cookiejar.New(nil)
				for _, cks := range applied {
					jar.SetCookies(mustURL(a.URL), cks)
				}
				c := &client{t: t, http: openapitest.Client(t, &http.Client{Jar: jar, Timeout: 20 * time.Second}), base: a.URL}
				for _, ck := range jar.Cookies(mustURL(a.URL)) {
					if ck.Name == "XSRF-TOKEN" {
						c.xsrf = ck.Value
					}
				}
				if c.xsrf == "" {
					t.Fatal("no XSRF-TOKEN cookie after both answers")
				}
				if r := c.login(a.URL, "Demo-lition", "password"); r.status != http.StatusOK {
					t.Fatalf("first log-in: %d %s, want 200", r.status, r.body)
				}
			})
		}
	}
}

// cookiesOf sends a GET and returns the cookies its answer sets, whatever the status.
func cookiesOf(t *testing.T, c *http.Client, url string) []*http.Cookie {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Cookies()
}
