package deploytest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// outcome is one request of the background load.
type outcome struct {
	kind               string // "signup" or "session"
	start, end         time.Time
	status             int
	body               string
	retryAfter         string
	err                error
	username, password string
	requestID          string
}

func (o outcome) latency() time.Duration { return o.end.Sub(o.start) }

// outage is the timeline of one database stop and start.
type outage struct {
	mode       string    // pg_ctl stop mode
	stopBegin  time.Time // pg_ctl stop called
	down       time.Time // pg_ctl stop returned: the server is gone
	startBegin time.Time // pg_ctl start called
	up         time.Time // pg_ctl start returned: the server accepts connections
	ready      time.Time // authme's /readyz answered 200 again
}

// TestDatabaseOutage stops the database under an authme process serving a steady load,
// twice (a fast shutdown, then an immediate one, as a crash), and starts it again. While
// it is down, whatever needs it is a prompt 503 with Retry-After, /readyz fails naming
// the database and /healthz stays up; the process neither crashes nor piles up
// goroutines; afterwards it recovers by itself and no acknowledged sign-up is lost.
func TestDatabaseOutage(t *testing.T) {
	pg := startOwnPostgres(t)
	env := prodEnv(pg.URL(), "outage_"+randomHex(4), newSecret(),
		"METRICS_ADDR", "127.0.0.1:0", "LOGIN_RATE_PER_MINUTE", "0")
	mustRun(t, env, "migrate")
	mustRun(t, env, "seed")
	node := startAuthme(t, "authme", env, "serve")
	if node.MetricsURL == "" {
		t.Fatalf("no metrics address in the log:\n%s", node.stdout)
	}
	transport := newTransport()
	hc := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	probe := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	reader := newBrowser(hc)
	reader.Restore(t, node.URL)
	reader.Must(t, 200, "POST", node.URL+"/api/session", login("Demo-lition", "password"))
	baseline := node.Goroutines()

	// The load: two clients signing up new accounts, two reading their session, each
	// one request at a time with a short pause, for the whole test.
	var mu sync.Mutex
	var outcomes []outcome
	record := func(o outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var stopOnce sync.Once
	stopLoad := func() { stopOnce.Do(func() { close(stop); wg.Wait() }) }
	defer stopLoad()
	prefix := "o" + randomHex(4)
	for w := range 2 {
		b := newBrowser(hc)
		b.Restore(t, node.URL)
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				b.Forget("__Host-token") // each sign-up as a new visitor: no session to restore
				name := fmt.Sprintf("%s_%d_%d", prefix, w, i)
				o := outcome{kind: "signup", username: name, password: "vivid otter " + randomHex(4), start: time.Now()}
				r, err := b.Do("POST", node.URL+"/api/users", signup(name, name+"@example.com", o.password))
				o.end, o.err, o.requestID = time.Now(), err, r.RequestID
				if err == nil {
					o.status, o.body, o.retryAfter = r.Status, string(r.Body), r.Header.Get("Retry-After")
				}
				record(o)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	for range 2 {
		b := reader.Clone()
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := outcome{kind: "session", start: time.Now()}
				r, err := b.Do("GET", node.URL+"/api/session", nil)
				o.end, o.err = time.Now(), err
				if err == nil {
					o.status, o.body, o.retryAfter = r.Status, string(r.Body), r.Header.Get("Retry-After")
					if r.Status == 200 && userName(r) != "Demo-lition" {
						o.body = "WRONG USER: " + o.body
					}
				}
				record(o)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)

	var outages []outage
	peak := baseline
	var readyLatencies []time.Duration
	for _, mode := range []string{"fast", "immediate"} {
		o := outage{mode: mode, stopBegin: time.Now()}
		pg.Stop(mode)
		o.down = time.Now()
		for time.Since(o.down) < 3*time.Second {
			t0 := time.Now()
			res, err := probe.Get(node.URL + "/readyz")
			if err != nil {
				t.Fatalf("%s outage: GET /readyz: %v", mode, err)
			}
			r := readAll(res)
			readyLatencies = append(readyLatencies, time.Since(t0))
			checks, _ := r.JSON()["checks"].(map[string]any)
			if r.Status != 503 || checks["database"] != "failed" || r.Header.Get("Retry-After") == "" {
				t.Errorf("%s outage: /readyz = %s (Retry-After %q), want 503 naming the database check", mode, r, r.Header.Get("Retry-After"))
			}
			if res, err := probe.Get(node.URL + "/healthz"); err != nil || res.StatusCode != 200 {
				t.Errorf("%s outage: /healthz = %v, %v; want 200", mode, res, err)
			} else {
				res.Body.Close()
			}
			peak = max(peak, node.Goroutines())
			if !node.Running() {
				t.Fatalf("%s outage: authme exited (status %d)", mode, node.cmd.ProcessState.ExitCode())
			}
			time.Sleep(200 * time.Millisecond)
		}
		o.startBegin = time.Now()
		pg.Start()
		o.up = time.Now()
		for o.ready.IsZero() {
			res, err := probe.Get(node.URL + "/readyz")
			if err == nil {
				if res.StatusCode == 200 {
					o.ready = time.Now()
				}
				res.Body.Close()
			}
			if time.Since(o.up) > 20*time.Second {
				t.Fatalf("%s outage: /readyz not 200 within 20s of the database's return", mode)
			}
			time.Sleep(50 * time.Millisecond)
		}
		fresh := newBrowser(hc)
		fresh.Restore(t, node.URL)
		fresh.Must(t, 200, "POST", node.URL+"/api/session", login("Demo-lition", "password"))
		t.Logf("%s outage: pg_ctl stop took %v; database down %v; /readyz 200 %v after pg_ctl start returned; log-in works right after",
			mode, o.down.Sub(o.stopBegin).Round(time.Millisecond), o.up.Sub(o.down).Round(time.Millisecond),
			o.ready.Sub(o.up).Round(time.Millisecond))
		outages = append(outages, o)
		time.Sleep(time.Second) // the load runs on the recovered database
	}
	stopLoad()

	// Every request got an answer in time; 503s are the contract's; none fails once ready.
	var inOutage []time.Duration
	var tally = map[string]map[int]int{"signup": {}, "session": {}}
	for _, o := range outcomes {
		if o.err != nil {
			t.Errorf("%s request at %s got no answer after %v: %v", o.kind, o.start.Format("15:04:05.000"), o.latency().Round(time.Millisecond), o.err)
			continue
		}
		tally[o.kind][o.status]++
		if o.latency() >= 6*time.Second {
			t.Errorf("%s request took %v (status %d), want < 6s", o.kind, o.latency(), o.status)
		}
		if strings.HasPrefix(o.body, "WRONG USER") {
			t.Errorf("session read: %s", o.body)
		}
		if o.status >= 500 && o.status != 503 {
			t.Errorf("%s request: %d %s, want 503 for an outage", o.kind, o.status, o.body)
		}
		if o.status == 503 && (strings.TrimSpace(o.body) != `{"message":"Service Unavailable"}` || o.retryAfter == "") {
			t.Errorf("%s 503: body %s, Retry-After %q; want {\"message\":\"Service Unavailable\"} and a Retry-After", o.kind, o.body, o.retryAfter)
		}
		for i, w := range outages {
			if !o.start.Before(w.down) && !o.end.After(w.startBegin) {
				inOutage = append(inOutage, o.latency())
				if o.status != 503 {
					t.Errorf("%s outage: %s request while the database was down = %d %s, want 503", w.mode, o.kind, o.status, o.body)
				}
			}
			recovered := !o.start.Before(w.ready) && (i == len(outages)-1 || o.end.Before(outages[i+1].stopBegin))
			if recovered && o.status >= 300 {
				t.Errorf("%s outage: %s request %v after /readyz was 200 again = %d %s", w.mode, o.kind,
					o.start.Sub(w.ready).Round(time.Millisecond), o.status, o.body)
			}
		}
	}
	if len(inOutage) == 0 {
		t.Fatal("no request ran entirely inside an outage: the test proves nothing")
	}
	t.Logf("load: %d requests; sign-ups %v, session reads %v", len(outcomes), tally["signup"], tally["session"])
	t.Logf("requests entirely inside the outages: %d, all 503; latency p50 %v, p99 %v, max %v",
		len(inOutage), percentile(inOutage, 50).Round(time.Millisecond), percentile(inOutage, 99).Round(time.Millisecond),
		percentile(inOutage, 100).Round(time.Millisecond))
	t.Logf("/readyz during the outages: %d probes, max latency %v", len(readyLatencies), percentile(readyLatencies, 100).Round(time.Millisecond))
	for _, d := range readyLatencies {
		if d > 2*time.Second {
			t.Errorf("/readyz took %v during the outage, want about its 1 s check", d)
		}
	}

	// Every acknowledged sign-up is stored; a stored one that got 503 is reported.
	db := openSQL(t, pg.URL())
	rows, err := db.Query(`SELECT "username" FROM "`+env["SCHEMA"]+`"."Users" WHERE starts_with("username", $1)`, prefix+"_")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		stored[name] = true
	}
	rows.Close()
	attempted := map[string]outcome{}
	var created, committedBut503 int
	for _, o := range outcomes {
		if o.kind != "signup" {
			continue
		}
		attempted[o.username] = o
		switch {
		case o.status == 201:
			created++
			if !stored[o.username] {
				t.Errorf("sign-up %s got 201 but is not in the database", o.username)
			}
		case stored[o.username]:
			committedBut503++
			// The insert committed, then the connection broke before the answer (or
			// before the session row): the account is whole, it can log in.
			t.Logf("REPORT: sign-up %s got %d but its row exists (committed before the connection broke, at %s)\n%s",
				o.username, o.status, o.start.Format("15:04:05.000"), grepLog(node, o.requestID))
			b := newBrowser(hc)
			b.Restore(t, node.URL)
			b.Must(t, 200, "POST", node.URL+"/api/session", login(o.username, o.password))
		}
	}
	for name := range stored {
		if _, ok := attempted[name]; !ok {
			t.Errorf("user %s is in the database but was never signed up", name)
		}
	}
	t.Logf("sign-ups: %d got 201, all stored; %d got 503 with the row stored; %d rows in all", created, committedBut503, len(stored))
	// Whole or nothing: every stored account has the session its sign-up made, so none
	// was left half-done by a connection lost between the two inserts.
	var bare int
	if err := db.QueryRow(`SELECT count(*) FROM "`+env["SCHEMA"]+`"."Users" u WHERE starts_with(u."username", $1)
		AND NOT EXISTS (SELECT 1 FROM "`+env["SCHEMA"]+`"."Sessions" s WHERE s."userId" = u."id")`, prefix+"_").Scan(&bare); err != nil {
		t.Fatal(err)
	}
	if bare != 0 {
		t.Errorf("%d stored sign-ups have no session row: the account was committed without the rest of its sign-up", bare)
	}

	// No goroutine pile-up: once the load stops, the count goes back near where it was.
	transport.CloseIdleConnections()
	var after float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		after = node.Goroutines()
		if after <= baseline+10 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("goroutines: %v before the load, at most %v during the outages, %v after", baseline, peak, after)
	if after > baseline+10 {
		t.Errorf("goroutines %v after the load, %v before: they grew", after, baseline)
	}

	if !node.Running() {
		t.Fatal("authme is not running after the outages")
	}
	node.Stop()
	log := node.stdout.String()
	if strings.Contains(log, `"request failed"`) || strings.Contains(log, `"panic"`) {
		t.Errorf("the log has internal errors or panics")
	}
	if !strings.Contains(log, `"service unavailable"`) {
		t.Errorf("the log has no service unavailable warnings")
	}
}

// readAll reads a whole response from a plain client.
func readAll(res *http.Response) *reply {
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &reply{Status: res.StatusCode, Header: res.Header, Body: body}
}

// grepLog returns the log lines that mention s.
func grepLog(in *instance, s string) string {
	var out []string
	for _, l := range in.stdout.Lines() {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
