//go:build !race

// The timing tests compare wall-clock medians. The race detector slows the pure-Go
// hashes by a large and uneven factor, so under -race they would measure the detector;
// they are built without it, and .ci/run runs them in a step of their own, without -race.

package securitytest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/store"
	"authme/internal/testdb"
)

// expressDB opens a database as the Express authenticate-me app leaves it (its Users
// table with bcryptjs hashes: testdb's Express fixture, made by the reference app) and
// lets authme adopt it.
func expressDB(t *testing.T, tg testdb.Target) *store.DB {
	t.Helper()
	db := tg.Express(t)
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("adopt the Express database: %v", err)
	}
	return db
}

// TestFailedLoginsTakeTheSameTimeOnAnAdoptedDatabase: once an Express database is adopted,
// accounts hold bcrypt hashes beside authme's Argon2id ones. Every failed log-in verifies
// once against each kind (the account's own hash, and a decoy of each other kind), so an
// unknown name, a wrong password on either kind and an over-long password on a bcrypt
// account (which bcrypt could not check) all take the same time (finding 3). Measured:
// every pair of medians within 10%.
func TestFailedLoginsTakeTheSameTimeOnAnAdoptedDatabase(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := expressDB(t, tg)
			a := start(t, db, options{policy: auth.ThrottlePolicy{FreeFailures: 1 << 20, BaseDelay: time.Second, MaxDelay: time.Second}})
			c := newClient(t, a.URL)
			if r := c.do("POST", a.URL+"/api/users", `{"username":"ArgonUser","email":"argon@user.io","password":"violet-harbor-lantern-4"}`, nil); r.status != 201 {
				t.Fatalf("sign-up: %d %s", r.status, r.body)
			}
			c.do("DELETE", a.URL+"/api/session", "", nil)
			long := strings.Repeat("x", 73) // over bcrypt's 72 bytes
			kinds := []struct{ name, credential, password string }{
				{"unknown name", "", "not the password"},
				{"wrong password, bcrypt account", "Demo-lition", "not the password"},
				{"wrong password, Argon2id account", "ArgonUser", "not the password"},
				{"over-long password, bcrypt account", "FakeUser1", long},
			}
			var worst float64
			for round := range 5 {
				samples := make([][]time.Duration, len(kinds))
				var answer string
				for i := range 20 {
					for j := range kinds { // a different kind first each time
						k := kinds[(i+j)%len(kinds)]
						cred := k.credential
						if cred == "" {
							cred = fmt.Sprintf("nobody-%d-%d", round, i)
						}
						start := time.Now()
						r := c.login(a.URL, cred, k.password)
						samples[(i+j)%len(kinds)] = append(samples[(i+j)%len(kinds)], time.Since(start))
						got := fmt.Sprint(r.status, r.body)
						if answer == "" {
							answer = got
						} else if got != answer {
							t.Fatalf("%s answered %q, others %q: failures must be the same bytes", k.name, got, answer)
						}
					}
				}
				lo, hi := time.Duration(1<<62), time.Duration(0)
				for i, s := range samples {
					m := median(s)
					t.Logf("round %d: %s: median %v", round+1, kinds[i].name, m)
					lo, hi = min(lo, m), max(hi, m)
				}
				worst = float64(hi-lo) / float64(hi)
				if worst < 0.10 {
					return
				}
			}
			t.Fatalf("slowest and fastest kinds of failure %.0f%% apart in every round, want under 10%%", worst*100)
		})
	}
}

// TestUnknownUserCostsLikeWrongPassword: a log-in for an account that does not exist
// gets the same answer as a wrong password, and takes the same time, because it verifies
// against a dummy hash (ASVS 6.3.8). Measured: the medians differ by under 10%.
func TestUnknownUserCostsLikeWrongPassword(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	// A throttle that never blocks: this test measures hashing work, not waiting, but
	// both paths still read and write their throttle rows as in production.
	a := start(t, db, options{policy: auth.ThrottlePolicy{FreeFailures: 1 << 20, BaseDelay: time.Second, MaxDelay: time.Second}})
	c := newClient(t, a.URL)

	// Wall-clock medians are at the mercy of whatever else the machine runs (other test
	// packages, in CI), so a round that misses is measured again, up to three rounds. A
	// real difference, such as skipping the hash for unknown names (about 40 times
	// faster), misses every round.
	var diffs []float64
	for round := range 3 {
		mk, mu := measureRound(t, c, a.URL, 40)
		diff := float64(mk-mu) / float64(max(mk, mu))
		if diff < 0 {
			diff = -diff
		}
		t.Logf("round %d: median wrong password %v, unknown user %v: %.1f%% apart", round+1, mk, mu, diff*100)
		if diff < 0.10 {
			return
		}
		diffs = append(diffs, diff)
	}
	t.Fatalf("medians differ by %v in every round, want under 10%%", diffs)
}

// measureRound times tries log-ins of each kind, interleaved and alternating which goes
// first, so drift in machine load hits both samples alike; it also checks that both
// kinds get the same answer.
func measureRound(t *testing.T, c *client, base string, tries int) (known, unknown time.Duration) {
	t.Helper()
	var ks, us []time.Duration
	measure := func(cred string) (time.Duration, string) {
		start := time.Now()
		r := c.login(base, cred, "not the password")
		return time.Since(start), fmt.Sprint(r.status, r.body)
	}
	for i := range tries {
		order := []bool{true, false}
		if i%2 == 1 {
			order = []bool{false, true}
		}
		var kb, ub string
		for _, isKnown := range order {
			if isKnown {
				d, b := measure("Demo-lition")
				ks, kb = append(ks, d), b
			} else {
				d, b := measure(fmt.Sprintf("nobody-%d", i))
				us, ub = append(us, d), b
			}
		}
		if kb != ub {
			t.Fatalf("answers differ: wrong password %q, unknown user %q", kb, ub)
		}
	}
	return median(ks), median(us)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
