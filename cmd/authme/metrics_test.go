package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"
)

var metricsRE = regexp.MustCompile(`metrics on (http://\S+/metrics)`)

// TestMetricsEndpoint drives traffic through the public port, on each database, then
// scrapes the separate metrics listener and checks that the counters moved.
func TestMetricsEndpoint(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			o := tg.Options(t)
			checkMetrics(t, tg.Dialect, map[string]string{
				"DB_FILE": o.File, "DATABASE_URL": o.DatabaseURL, "SCHEMA": o.Schema,
				"METRICS_ADDR": "127.0.0.1:0",
			})
		})
	}
}

// checkMetrics starts the server with env, logs in and restores the session, and checks
// the metrics the traffic must have moved.
func checkMetrics(t *testing.T, dialect string, env map[string]string) {
	t.Helper()
	url, out, _ := startServer(t, env)
	var metricsURL string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := metricsRE.FindStringSubmatch(out.String()); m != nil {
			metricsURL = m[1]
			break
		}
	}
	if metricsURL == "" {
		t.Fatalf("no metrics address in the log:\n%s", out.String())
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(url + "/api/csrf/restore")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var token string
	for _, ck := range res.Cookies() {
		if ck.Name == "XSRF-TOKEN" {
			token = ck.Value
		}
	}
	login := func(pw string) int {
		req, _ := http.NewRequest("POST", url+"/api/session", strings.NewReader(`{"credential":"Demo-lition","password":"`+pw+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("XSRF-Token", token)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := login("password"); got != 200 {
		t.Fatalf("login = %d", got)
	}
	if got := login("wrong-password"); got != 401 {
		t.Fatalf("bad login = %d", got)
	}
	if res, err := c.Get(url + "/api/session"); err != nil || res.StatusCode != 200 {
		t.Fatalf("session restore = %v, %v", res, err)
	} else {
		res.Body.Close()
	}

	// The public port does not serve metrics.
	if res, err := http.Get(url + "/metrics"); err != nil || res.StatusCode != 404 {
		t.Fatalf("public /metrics = %v, %v; want 404", res.StatusCode, err)
	}

	res, err = http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, c := range []struct {
		series string
		min    float64
	}{
		{`authme_logins_total{outcome="ok"}`, 1},
		{`authme_logins_total{outcome="invalid"}`, 1},
		{`authme_http_request_duration_seconds_count{route="POST /api/session",status="200"}`, 1},
		{`authme_http_request_duration_seconds_count{route="GET /api/csrf/restore",status="200"}`, 1},
		{`authme_active_sessions`, 1},
		{`authme_password_hash_queue_depth`, 0},
		{`go_sql_max_open_connections{db_name="authme"}`, 1},
		{`authme_session_restore_queries_total`, 0}, // SQLite does not batch: present, at 0
		{`authme_session_restore_queue_depth`, 0},
		{`go_goroutines`, 1},
	} {
		v, ok := sample(text, c.series)
		if !ok {
			t.Errorf("metrics lack %s", c.series)
			continue
		}
		if v < c.min {
			t.Errorf("%s = %v, want at least %v", c.series, v, c.min)
		}
	}
	// PostgreSQL's restores go through the batcher (the restore above at least); SQLite's
	// never do.
	lookups, _ := sample(text, `authme_session_restore_lookups_total`)
	if dialect == "postgres" && lookups < 1 {
		t.Errorf("authme_session_restore_lookups_total = %v on PostgreSQL after a restore; want at least 1", lookups)
	}
	if dialect == "sqlite" && lookups != 0 {
		t.Errorf("authme_session_restore_lookups_total = %v on SQLite; want 0", lookups)
	}
	if res, err := http.Get(strings.TrimSuffix(metricsURL, "/metrics") + "/debug/pprof/"); err != nil || res.StatusCode != 200 {
		t.Errorf("pprof index: %v %v", res.StatusCode, err)
	}
}

// sample finds one series' value in Prometheus text format.
func sample(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}
