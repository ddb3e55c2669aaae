package securitytest

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"
	"authme/internal/testkit"
)

// loopback is the proxy every test client connects through, so X-Forwarded-For names
// the client address a request is counted against.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// TestAddressLimitKeysIPv6ByPrefix: an IPv6 client gets one bucket for its whole /64
// (LOGIN_RATE_IPV6_PREFIX), since one host is handed a /64 and can use any address in
// it; an IPv4 client gets one per address.
func TestAddressLimitKeysIPv6ByPrefix(t *testing.T) {
	tg := testdb.Targets(t)[0]
	ghosts := 0 // a new name each time, so the per-account throttle never answers
	attempts := func(a instance, addrs ...string) []int {
		t.Helper()
		c := newClient(t, a.URL)
		got := make([]int, 0, len(addrs))
		for _, addr := range addrs {
			ghosts++
			b := `{"credential":"ghost` + strconv.Itoa(ghosts) + `","password":"not the password"}`
			got = append(got, c.do("POST", a.URL+"/api/session", b, map[string]string{"X-Forwarded-For": addr}).status)
		}
		return got
	}
	inPrefix := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + strconv.FormatInt(int64(i+1), 16)
		}
		return out
	}
	want := func(t *testing.T, got []int, allowed int) {
		t.Helper()
		for i, s := range got {
			if w := map[bool]int{true: 401, false: 429}[i < allowed]; s != w {
				t.Fatalf("attempt %d of %d: status %d, want %d (statuses %v)", i+1, len(got), s, w, got)
			}
		}
	}

	t.Run("ThirtySixAddressesOfOneSlash64ShareABucket", func(t *testing.T) {
		a := start(t, tg.Migrated(t), options{ratePerMin: 1, burst: 3, trustProxy: loopback})
		want(t, attempts(a, inPrefix("2001:db8:1:2::", 36)...), 3)
		// The neighbouring /64 is someone else.
		want(t, attempts(a, "2001:db8:1:3::1"), 1)
	})
	t.Run("IPv4IsPerAddress", func(t *testing.T) {
		a := start(t, tg.Migrated(t), options{ratePerMin: 1, burst: 3, trustProxy: loopback})
		want(t, attempts(a, "203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"), 4)
		want(t, attempts(a, "203.0.113.9", "203.0.113.9", "203.0.113.9", "203.0.113.9"), 3)
	})
	t.Run("PrefixLengthIsConfigurable", func(t *testing.T) {
		db := tg.Migrated(t)
		a := start(t, db, options{ratePerMin: 1, burst: 3, trustProxy: loopback, ipv6Prefix: 48})
		want(t, attempts(a, "2001:db8:1:2::1", "2001:db8:1:3::1", "2001:db8:1:ffff::1", "2001:db8:1:4::1"), 3)
		b := start(t, db, options{ratePerMin: 1, burst: 3, trustProxy: loopback, ipv6Prefix: 128})
		want(t, attempts(b, inPrefix("2001:db8:9:9::", 5)...), 5)
	})
}

// TestAddressLimitAcrossInstances: three instances over one database share each
// address's bucket, so spreading requests over them gains an attacker nothing.
func TestAddressLimitAcrossInstances(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			o := tg.Options(t)
			first := testdb.OpenWith(t, o)
			if _, err := first.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			clk := testkit.NewClock(time.Now())
			opts := options{clock: clk, ratePerMin: 2, burst: 3}
			nodes := []instance{start(t, first, opts), start(t, testdb.OpenWith(t, o), opts), start(t, testdb.OpenWith(t, o), opts)}
			clients := make([]*client, len(nodes))
			for i, n := range nodes {
				clients[i] = newClient(t, n.URL)
			}
			signup := func(i int) response {
				n := i % len(nodes)
				return clients[n].do("POST", nodes[n].URL+"/api/users", `{}`, nil)
			}
			var got []int
			for i := range 9 {
				got = append(got, signup(i).status)
			}
			for i, s := range got {
				if w := map[bool]int{true: 400, false: 429}[i < 3]; s != w {
					t.Fatalf("statuses %v over three instances, want the first 3 400 and the rest 429", got)
				}
			}
			r := signup(1)
			if ra, err := strconv.Atoi(r.header.Get("Retry-After")); r.status != 429 || err != nil || ra < 29 || ra > 30 {
				t.Fatalf("empty bucket: %d, Retry-After %q; want 429 and 30 s (one token at 2 a minute)", r.status, r.header.Get("Retry-After"))
			}

			// Half a minute refills one token, for whichever instance asks first.
			clk.Advance(30 * time.Second)
			if r := signup(2); r.status != 400 {
				t.Fatalf("after the refill: %d %s, want 400", r.status, r.body)
			}
			for i := range len(nodes) {
				if r := signup(i); r.status != 429 {
					t.Fatalf("the refilled token was spent, yet instance %d answered %d", i, r.status)
				}
			}
		})
	}
}

// TestAddressLimitFailsOpen: when the limiter's database statement fails, log-in and
// sign-up go on (their own database work decides the answer) and a warning is logged,
// rather than every user getting a 500.
func TestAddressLimitFailsOpen(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{ratePerMin: 1, burst: 1})
			if _, err := db.SQL().Exec(`DROP TABLE "AddressThrottles"`); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, a.URL)
			for i := range 3 {
				if r := c.do("POST", a.URL+"/api/users", `{}`, nil); r.status != 400 {
					t.Fatalf("sign-up %d with the limiter failing: %d %s, want the handler's 400", i+1, r.status, r.body)
				}
			}
			if r := c.login(a.URL, "Demo-lition", "password"); r.status != 200 {
				t.Fatalf("log-in with the limiter failing: %d %s", r.status, r.body)
			}
			if logs := a.log.String(); !strings.Contains(logs, "WARN per-address limit unavailable: request let through") {
				t.Fatalf("no warning logged:\n%s", logs)
			}
		})
	}
}
