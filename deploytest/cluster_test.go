package deploytest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCluster runs three authme processes on three ports against one PostgreSQL schema,
// as a load balancer would spread them, and checks that they behave as one service:
// sessions, unique names and log-in throttling live in the database, not in a process.
func TestCluster(t *testing.T) {
	dbURL := sharedPostgres(t)
	schema := freshSchema(t, dbURL)
	// The per-address bucket is per process and every request here comes from
	// 127.0.0.1: turn it off so it cannot hide what the shared state does. And let every
	// sign-up of the burst hash at once: with a slot per CPU, the last of 50 waits in the
	// hash queue close to its 2 s limit on a small or busy machine, and would be shed
	// with 503, which is not what this test is about.
	env := prodEnv(dbURL, schema, newSecret(), "LOGIN_RATE_PER_MINUTE", "0", "HASH_CONCURRENCY", "20")
	mustRun(t, env, "migrate")
	mustRun(t, env, "seed")
	var nodes []*instance
	for i := range 3 {
		nodes = append(nodes, startAuthme(t, fmt.Sprintf("authme-%d", i+1), env, "serve"))
	}
	hc := &http.Client{Transport: newTransport(), Timeout: 20 * time.Second}
	db := openSQL(t, dbURL)

	t.Run("SessionAndLogoutAreSharedByEveryInstance", func(t *testing.T) {
		b := newBrowser(hc)
		b.Restore(t, nodes[0].URL)
		b.Must(t, 200, "POST", nodes[0].URL+"/api/session", login("Demo-lition", "password"))
		if b.Cookie("__Host-token") == "" {
			t.Fatal("log-in through instance 1 set no __Host-token cookie")
		}
		if r := b.Must(t, 200, "GET", nodes[1].URL+"/api/session", nil); userName(r) != "Demo-lition" {
			t.Fatalf("instance 2 GET /api/session = %s, want Demo-lition", r)
		}
		stolen := b.Clone() // a copy of the token kept somewhere
		// The CSRF token instance 1 issued is accepted by instance 3: same key, no state.
		r := b.Must(t, 200, "DELETE", nodes[2].URL+"/api/session", nil)
		if r.JSON()["message"] != "success" {
			t.Fatalf("instance 3 DELETE /api/session = %s", r)
		}
		if b.Cookie("__Host-token") != "" {
			t.Error("log-out did not clear the __Host-token cookie")
		}
		for i, n := range nodes {
			old := stolen.Clone()
			if r := old.Must(t, 200, "GET", n.URL+"/api/session", nil); userName(r) != "" {
				t.Errorf("instance %d still restores the logged-out token: %s", i+1, r)
			}
			if old.Cookie("__Host-token") != "" {
				t.Errorf("instance %d did not clear the dead token's cookie", i+1)
			}
			old = stolen.Clone()
			old.Must(t, 401, "GET", n.URL+"/api/users/me", nil)
		}
	})

	t.Run("ConcurrentSignupsOfOneNameHaveOneWinner", func(t *testing.T) {
		const n = 50
		name := "Racer" + randomHex(4)
		clients := make([]*browser, n)
		for i := range clients {
			clients[i] = newBrowser(hc)
			clients[i].Restore(t, nodes[i%3].URL)
		}
		statuses := make([]int, n)
		bodies := make([]string, n)
		errs := make([]error, n)
		var slowest time.Duration
		var mu sync.Mutex
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Half of them ask for the name in capitals: unique ignoring case.
				username := name
				if i%2 == 1 {
					username = strings.ToUpper(name)
				}
				<-start
				t0 := time.Now()
				r, err := clients[i].Do("POST", nodes[i%3].URL+"/api/users",
					signup(username, fmt.Sprintf("racer%d-%s@example.com", i, name), "sturdy lantern 42 harbour"))
				mu.Lock()
				slowest = max(slowest, time.Since(t0))
				mu.Unlock()
				errs[i] = err
				if err == nil {
					statuses[i], bodies[i] = r.Status, string(r.Body)
				}
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for i := range n {
			if errs[i] != nil {
				t.Errorf("sign-up %d (instance %d): %v", i, i%3+1, errs[i])
				continue
			}
			count[statuses[i]]++
			if statuses[i] == 409 && !strings.Contains(bodies[i], "User with that username already exists") {
				t.Errorf("409 body %s does not name the username", bodies[i])
			}
		}
		t.Logf("50 concurrent sign-ups of %q over 3 instances: %v, slowest %v", name, count, slowest.Round(time.Millisecond))
		if count[201] != 1 || count[409] != n-1 {
			t.Fatalf("statuses %v, want exactly one 201 and %d 409s", count, n-1)
		}
		var rows int
		if err := db.QueryRow(`SELECT count(*) FROM "`+schema+`"."Users" WHERE lower("username") = lower($1)`, name).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 1 {
			t.Fatalf("%d rows for %q, want 1", rows, name)
		}
	})

	t.Run("ThrottleCountsAddUpAcrossInstances", func(t *testing.T) {
		name := "Throttled" + randomHex(4)
		const pw = "correct battery staple"
		owner := newBrowser(hc)
		owner.Restore(t, nodes[0].URL)
		owner.Must(t, 201, "POST", nodes[0].URL+"/api/users", signup(name, name+"@example.com", pw))

		// Five wrong passwords at once, spread over the three instances.
		clients := make([]*browser, 8)
		for i := range clients {
			clients[i] = newBrowser(hc)
			clients[i].Restore(t, nodes[i%3].URL)
		}
		statuses := make([]int, 5)
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				r, err := clients[i].Do("POST", nodes[i%3].URL+"/api/session", login(name, "wrong password "+strconv.Itoa(i)))
				if err != nil {
					t.Errorf("wrong password %d: %v", i+1, err)
					return
				}
				statuses[i] = r.Status
			})
		}
		wg.Wait()
		fifth := time.Now()
		for i, s := range statuses {
			if s != 401 {
				t.Fatalf("wrong password %d through instance %d = %d, want 401", i+1, i%3+1, s)
			}
		}
		// The next attempt, anywhere and with the right password, must wait.
		var waits []int
		for i := range 3 {
			node := (i + 1) % 3
			r, err := clients[5+i].Do("POST", nodes[node].URL+"/api/session", login(name, pw))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != 429 {
				t.Fatalf("right password through instance %d after 5 failures (%v later) = %s, want 429",
					node+1, time.Since(fifth).Round(time.Millisecond), r)
			}
			if r.JSON()["message"] != "Too many attempts, try again later" {
				t.Errorf("429 body = %s", r.Body)
			}
			ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || ra < 1 {
				t.Fatalf("429 Retry-After = %q, want whole seconds ≥ 1", r.Header.Get("Retry-After"))
			}
			waits = append(waits, ra)
		}
		t.Logf("after 5 concurrent failures on 3 instances: 429 on all three within %v, Retry-After %v s",
			time.Since(fifth).Round(time.Millisecond), waits)
		// Once the wait is over, the right password works (and resets the count).
		time.Sleep(time.Duration(max(waits[0], waits[1], waits[2]))*time.Second + 200*time.Millisecond)
		clients[5].Must(t, 200, "POST", nodes[2].URL+"/api/session", login(name, pw))
		var rows int
		if err := db.QueryRow(`SELECT count(*) FROM "` + schema + `"."LoginThrottles"`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 0 {
			t.Errorf("%d throttle rows left after a successful log-in, want 0", rows)
		}
	})

	for _, n := range nodes {
		n.Stop()
	}
}
