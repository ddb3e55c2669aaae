package securitytest

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"authme/internal/testdb"
	"authme/internal/testkit"
)

// TestThrottleAcrossInstances: failures counted by one instance hold on the other, since
// the counts live in the shared database (ASVS 6.3.1).
func TestThrottleAcrossInstances(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			o := tg.Options(t)
			db1, db2 := testdb.OpenWith(t, o), testdb.OpenWith(t, o)
			if _, err := db1.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			seed(t, db1)
			clk := testkit.NewClock(time.Now())
			a := start(t, db1, options{clock: clk})
			b := start(t, db2, options{clock: clk})
			ca, cb := newClient(t, a.URL), newClient(t, b.URL)

			for i := range 5 {
				c, base := ca, a.URL
				if i%2 == 1 {
					c, base = cb, b.URL
				}
				if r := c.login(base, "demo@user.io", "wrong password "+strconv.Itoa(i)); r.status != 401 {
					t.Fatalf("failure %d: status %d %s", i+1, r.status, r.body)
				}
			}
			for _, side := range []struct {
				c    *client
				base string
			}{{ca, a.URL}, {cb, b.URL}} {
				r := side.c.login(side.base, "Demo-lition", "password")
				if r.status != 429 {
					t.Fatalf("right password during the wait: status %d %s, want 429", r.status, r.body)
				}
				if m := r.json(t)["message"]; m != "Too many attempts, try again later" {
					t.Errorf("message %q", m)
				}
				if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
					t.Errorf("Retry-After %q, want 1-2 s after the fifth failure", r.header.Get("Retry-After"))
				}
			}

			// The wait doubles with each further failure, and a success resets it.
			clk.Advance(2 * time.Second)
			if r := cb.login(b.URL, "Demo-lition", "wrong again"); r.status != 401 {
				t.Fatalf("sixth failure: %d %s", r.status, r.body)
			}
			r := ca.login(a.URL, "Demo-lition", "password")
			if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); r.status != 429 || ra < 2 || ra > 3 {
				t.Fatalf("after the sixth failure: %d, Retry-After %q; want 429 and 2-3 s", r.status, r.header.Get("Retry-After"))
			}
			clk.Advance(3 * time.Second)
			if r := ca.login(a.URL, "Demo-lition", "password"); r.status != 200 {
				t.Fatalf("after the wait, right password: %d %s", r.status, r.body)
			}
			for i := range 4 {
				if r := cb.login(b.URL, "Demo-lition", "wrong "+strconv.Itoa(i)); r.status != 401 {
					t.Fatalf("after reset, failure %d: %d (the count was not reset)", i+1, r.status)
				}
			}
		})
	}
}

// TestThrottleNeverLocksOutForLong: however many failures, the wait is capped at 15
// minutes, after which the right password works.
func TestThrottleNeverLocksOutForLong(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	clk := testkit.NewClock(time.Now())
	a := start(t, db, options{clock: clk})
	c := newClient(t, a.URL)
	for i := range 30 {
		r := c.login(a.URL, "FakeUser1", "wrong "+strconv.Itoa(i))
		if r.status == 429 {
			ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
			if ra > 15*60+1 {
				t.Fatalf("Retry-After %d s exceeds 15 minutes", ra)
			}
			clk.Advance(time.Duration(ra) * time.Second)
		}
	}
	clk.Advance(15*time.Minute + time.Second)
	if r := c.login(a.URL, "FakeUser1", "password2"); r.status != 200 {
		t.Fatalf("after the longest wait: %d %s", r.status, r.body)
	}
}

// TestAddressLimit: the per-address bucket on the credential endpoints refuses a flood
// with 429 and Retry-After, without touching the database's counts.
func TestAddressLimit(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	a := start(t, db, options{ratePerMin: 6, burst: 3})
	c := newClient(t, a.URL)
	statuses := make([]int, 0, 5)
	for range 5 {
		statuses = append(statuses, c.do("POST", a.URL+"/api/users", `{}`, nil).status)
	}
	want := []int{400, 400, 400, 429, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
	r := c.login(a.URL, "x", "y")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("log-in from the same address: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// Other routes are not limited.
	if r := c.do("GET", a.URL+"/api/session", "", nil); r.status != 200 {
		t.Fatalf("GET /api/session: %d", r.status)
	}
}

// TestForwardedForOnlyFromTrustedProxies: X-Forwarded-For picks the address a limit
// applies to only when the request comes from a proxy named in TRUST_PROXY; otherwise a
// client could name a new address with each request and never be limited.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	flood := func(a instance, c *client) []int {
		var got []int
		for i := range 4 {
			xff := map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i+1)}
			got = append(got, c.do("POST", a.URL+"/api/users", `{}`, xff).status)
		}
		return got
	}
	t.Run("UntrustedPeerCannotSpoof", func(t *testing.T) {
		a := start(t, db, options{ratePerMin: 1, burst: 2})
		if got := flood(a, newClient(t, a.URL)); got[2] != 429 || got[3] != 429 {
			t.Fatalf("statuses %v: spoofed X-Forwarded-For escaped the limit", got)
		}
	})
	t.Run("TrustedProxyForwardsClients", func(t *testing.T) {
		a := start(t, db, options{ratePerMin: 1, burst: 2, trustProxy: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		for i, s := range flood(a, newClient(t, a.URL)) {
			if s != 400 {
				t.Fatalf("request %d from its own client address: %d, want 400 (each client has its own bucket)", i+1, s)
			}
		}
	})
}
