package securitytest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// burst sends one log-in per password at once, each from its own address (through a
// trusted proxy, so the per-address limit does not hide the account throttle), and
// returns the statuses by password index.
func burst(t *testing.T, c *client, base, credential string, passwords []string) []int {
	t.Helper()
	statuses := make([]int, len(passwords))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, pw := range passwords {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := `{"credential":"` + credential + `","password":"` + pw + `"}`
			statuses[i] = c.do("POST", base+"/api/session", body, map[string]string{"X-Forwarded-For": "198.51.100." + strconv.Itoa(i+1)}).status
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

func count(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}

// TestConcurrentGuessesAreReservedBeforeHashing: the throttle is checked and counted in
// one statement before any hashing, so a burst of concurrent guesses gets at most the free
// allowance checked; the rest are refused with 429 without a hash (finding 1), and the
// right password after the burst waits like any other.
func TestConcurrentGuessesAreReservedBeforeHashing(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{trustProxy: loopback})
			c := newClient(t, a.URL)
			pws := make([]string, 40)
			for i := range pws {
				pws[i] = "wrong guess " + strconv.Itoa(i)
			}
			got := burst(t, c, a.URL, "Demo-lition", pws)
			// A granted attempt is answered 401, or 503 when the hashing gate sheds it
			// on a slow machine (the race detector, a loaded CI): either way it held one
			// of the places, and a checked guess counts as a failure.
			checked := count(got, 401) + count(got, 503)
			t.Logf("40 concurrent: %d × 401, %d × 503, %d × 429", count(got, 401), count(got, 503), count(got, 429))
			if checked > auth.DefaultThrottle.FreeFailures {
				t.Fatalf("%d passwords checked in a burst of 40, want at most the %d free (statuses %v)", checked, auth.DefaultThrottle.FreeFailures, got)
			}
			if count(got, 429)+checked != len(got) {
				t.Fatalf("statuses %v: want only 401 (or 503) and 429", got)
			}
			if n, _, err := db.LoginThrottleState(t.Context(), "u:1"); err != nil || n < count(got, 401) || n > checked {
				t.Errorf("failures recorded %d (%v), want between the %d answered 401 and the %d checked", n, err, count(got, 401), checked)
			}
			if r := c.login(a.URL, "demo@user.io", "password"); r.status != 429 {
				t.Fatalf("right password after the burst: %d, want 429", r.status)
			}
		})
	}
}

// TestConcurrentRightPasswordsAllSucceed: correct log-ins are not refused for being
// many: 20 at once to one shared account all succeed, those beyond the free places
// waiting for the ones in flight, since none of them fails.
func TestConcurrentRightPasswordsAllSucceed(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{trustProxy: loopback})
			pws := make([]string, 20)
			for i := range pws {
				pws[i] = "password"
			}
			got := burst(t, newClient(t, a.URL), a.URL, "demo@user.io", pws)
			if count(got, 200) != len(got) {
				t.Fatalf("statuses %v, want 20 × 200", got)
			}
		})
	}
}

// TestOwnerWithKnownDeviceLogsInDuringAttack: a flood of guesses locks the account for
// everyone else, whichever of its names is typed, but the owner's browser, which has
// logged in before and holds the device cookie, is throttled on its own bucket and still
// gets in (finding 2). The device's bucket has its own limit, so a stolen device cookie
// is not a way around the throttle.
func TestOwnerWithKnownDeviceLogsInDuringAttack(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			clk := testkit.NewClock(time.Now())
			a := start(t, db, options{clock: clk})
			owner := newClient(t, a.URL)
			if r := owner.login(a.URL, "Demo-lition", "password"); r.status != 200 {
				t.Fatalf("owner's first log-in: %d %s", r.status, r.body)
			}
			if r := owner.do("DELETE", a.URL+"/api/session", "", nil); r.status != 200 {
				t.Fatalf("log-out: %d", r.status)
			}

			attacker := newClient(t, a.URL)
			// Eight wrong guesses, waiting out each block but the last: the account is
			// now blocked for 8 s.
			for i, failed := 0, 0; failed < 8; i++ {
				r := attacker.login(a.URL, "demo@user.io", "guess "+strconv.Itoa(i))
				switch r.status {
				case 401:
					failed++
				case 429:
					ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
					clk.Advance(time.Duration(ra) * time.Second)
				default:
					t.Fatalf("guess %d: %d %s", i, r.status, r.body)
				}
			}
			for _, name := range []string{"Demo-lition", "DEMO@user.io"} {
				if r := newClient(t, a.URL).login(a.URL, name, "password"); r.status != 429 {
					t.Fatalf("new browser, right password as %q during the attack: %d, want 429", name, r.status)
				}
			}
			if r := owner.login(a.URL, "demo@user.io", "password"); r.status != 200 {
				t.Fatalf("owner's known browser during the attack: %d %s, want 200", r.status, r.body)
			}
			if n, until, _ := db.LoginThrottleState(t.Context(), "u:1"); n < auth.DefaultThrottle.FreeFailures || !until.After(clk.Now()) {
				t.Errorf("the owner's log-in cleared the account's lock (%d failures, until %v): the attack's count must stand", n, until)
			}

			// The device's own bucket: five wrong passwords from it, then it waits too.
			owner.do("DELETE", a.URL+"/api/session", "", nil)
			for i := range auth.DefaultThrottle.FreeFailures {
				if r := owner.login(a.URL, "Demo-lition", "owner typo "+strconv.Itoa(i)); r.status != 401 {
					t.Fatalf("owner's failure %d: %d", i+1, r.status)
				}
			}
			if r := owner.login(a.URL, "Demo-lition", "password"); r.status != 429 {
				t.Fatalf("known browser after its own five failures: %d, want 429", r.status)
			}
		})
	}
}

// TestFailureCountStopsAtTheLongestWait: the count stops growing once the wait reaches
// 15 minutes, so however long a burst was, one wait of 15 minutes after the attack ends
// frees the account.
func TestFailureCountStopsAtTheLongestWait(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			clk := testkit.NewClock(time.Now())
			a := start(t, db, options{clock: clk})
			c := newClient(t, a.URL)
			checked := 0
			for i := 0; checked < 20; i++ {
				r := c.login(a.URL, "FakeUser1", "wrong "+strconv.Itoa(i))
				switch r.status {
				case 401:
					checked++
				case 429:
					ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
					if ra > 15*60+1 {
						t.Fatalf("Retry-After %d s exceeds 15 minutes", ra)
					}
					clk.Advance(time.Duration(ra) * time.Second)
				default:
					t.Fatalf("failure %d: %d %s", i, r.status, r.body)
				}
			}
			n, until, err := db.LoginThrottleState(t.Context(), "u:2")
			if err != nil {
				t.Fatal(err)
			}
			if want := auth.DefaultThrottle.MaxFailures(); n != want {
				t.Errorf("count after 20 failures: %d, want it to stop at %d (the first 15-minute wait)", n, want)
			}
			if wait := until.Sub(clk.Now()); wait > 15*time.Minute+time.Second {
				t.Errorf("blocked for %v, want at most 15 minutes", wait)
			}
			clk.Advance(15*time.Minute + time.Second)
			if r := c.login(a.URL, "FakeUser1", "password2"); r.status != 200 {
				t.Fatalf("after one 15-minute wait: %d %s", r.status, r.body)
			}
		})
	}
}

// TestDeviceCookieCountsOnlyForItsAccount: a browser known to one account is a stranger
// to every other, so holding some device cookie is no way around another account's lock.
func TestDeviceCookieCountsOnlyForItsAccount(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	clk := testkit.NewClock(time.Now())
	a := start(t, db, options{clock: clk})
	browser := newClient(t, a.URL)
	if r := browser.login(a.URL, "FakeUser1", "password2"); r.status != 200 {
		t.Fatalf("log-in to FakeUser1: %d %s", r.status, r.body)
	}
	browser.do("DELETE", a.URL+"/api/session", "", nil)
	attacker := newClient(t, a.URL)
	for i := range auth.DefaultThrottle.FreeFailures {
		if r := attacker.login(a.URL, "Demo-lition", "guess "+strconv.Itoa(i)); r.status != 401 {
			t.Fatalf("guess %d: %d", i+1, r.status)
		}
	}
	if r := browser.login(a.URL, "Demo-lition", "password"); r.status != 429 {
		t.Fatalf("a browser known to FakeUser1, logging in to the locked Demo-lition: %d, want 429", r.status)
	}
	if r := browser.login(a.URL, "FakeUser1", "password2"); r.status != 200 {
		t.Fatalf("the same browser, its own account: %d, want 200", r.status)
	}
}
