package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The reset-flood case (issue 13): does a flood of password-reset requests slow log-ins,
// or grow authme's memory without bound? Log-ins are measured alone, then under a flood
// of reset requests from many client addresses for many addresses, then alone again; the
// server sends its mail to a real Mailpit all along.

// knownAccounts is how many accounts the flood asks resets for (one request in
// floodKnownEvery); the other requests name addresses no account has, each a new one.
const (
	knownAccounts   = 50
	floodKnownEvery = 10
	floodConns      = 50
	// maxDrift is how far apart the phases alone may be for the ratio to count.
	maxDrift = 0.15
	// drainWait bounds the wait, after the flood, for the sender to empty the outbox.
	drainWait = 60 * time.Second
)

// floodReport is the case's JSON.
type floodReport struct {
	Date     string  `json:"date"`
	Command  string  `json:"command"`
	Machine  machine `json:"machine"`
	Database string  `json:"database"`
	Duration string  `json:"duration_per_phase"`
	LoadAvg  string  `json:"load_average_before"`
	// LoadAvgAfter is /proc/loadavg when the last phase ends.
	LoadAvgAfter string `json:"load_average_after"`

	LoginBefore result `json:"login_alone_before"`
	LoginFlood  result `json:"login_under_flood"`
	Flood       result `json:"reset_flood"`
	LoginAfter  result `json:"login_alone_after"`
	// Ratio is log-ins a second under the flood over the mean of the two phases alone.
	Ratio float64 `json:"login_ratio"`
	// AloneDrift is how far apart the two phases alone are, over the faster: above
	// maxDrift, the machine's speed changed during the case and the ratio means little.
	AloneDrift float64 `json:"alone_drift"`

	// Waits is, per phase, what authme's metrics say log-ins and requests waited for.
	Waits map[string]phaseWaits `json:"waits"`

	RSSStartMiB      float64 `json:"rss_start_mib"`        // before the first phase
	RSSPeakAloneMiB  float64 `json:"rss_peak_alone_mib"`   // VmHWM over the first phase
	RSSBeforeFlood   float64 `json:"rss_before_flood_mib"` // as the flood starts
	RSSPeakFloodMiB  float64 `json:"rss_peak_flood_mib"`   // VmHWM over the flood phase, or the highest sample
	RSSEndFloodMiB   float64 `json:"rss_end_flood_mib"`    // as the flood ends
	RSSAfterDrainMiB float64 `json:"rss_after_drain_mib"`  // once the outbox is empty (or drainWait passed)
	RSSEndMiB        float64 `json:"rss_end_mib"`          // after the last phase
	RSSSamples       int     `json:"rss_samples"`

	PendingEndFlood int64            `json:"outbox_pending_end_of_flood"`
	DrainSeconds    float64          `json:"drain_seconds"`
	PendingAfter    int64            `json:"outbox_pending_after_drain"`
	PendingEnd      int64            `json:"outbox_pending_at_end"`
	Mail            map[string]int64 `json:"mail_by_outcome"` // authme_mail_total at the end
	DBBytesBefore   int64            `json:"sqlite_bytes_before_flood,omitempty"`
	DBBytesAfter    int64            `json:"sqlite_bytes_after_flood,omitempty"`
	Profile         string           `json:"cpu_profile,omitempty"`
	AuthmeLog       logSummary       `json:"authme_log"`
}

// runResetFlood runs the case alone, with authme built at authmeBin.
func runResetFlood(ctx context.Context, o options, args []string, tmp, authmeBin string, cl *cleanups, stdout io.Writer, logf func(string, ...any)) error {
	mp, smtpAddr, err := startMailpit(ctx, o.mailpit, tmp)
	if err != nil {
		return err
	}
	cl.add(mp.stop)

	rep := &floodReport{
		Date:     time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Command:  command(args),
		Machine:  describeMachine(false),
		Database: "sqlite",
		Duration: o.duration.String(),
	}
	schema := ""
	if o.postgres != "" {
		rep.Database, schema = "postgres", benchSchema()
		cl.add(func() {
			if err := dropSchema(o.postgres, schema); err != nil {
				logf("could not drop schema %s: %v", schema, err)
			}
		})
	}
	metricsPort, err := freePort()
	if err != nil {
		return err
	}
	metrics := fmt.Sprintf("http://127.0.0.1:%d", metricsPort)
	env := authmeEnv(tmp, o.postgres, schema)
	// Mail to the Mailpit; X-Forwarded-For from loopback believed, so the flood can come
	// from many client addresses past the per-client mail limit (10 a minute, burst 20),
	// as a botnet's would; metrics for the outbox's counts and pprof.
	env["SMTP_URL"] = "smtp://" + smtpAddr + "?tls=none"
	env["TRUST_PROXY"] = "127.0.0.1"
	env["METRICS_ADDR"] = fmt.Sprintf("127.0.0.1:%d", metricsPort)
	a := authmeRun{bin: authmeBin, dir: tmp, env: env}
	ap, base, authmeLog, err := a.startAlone(ctx, rep.Database, logf, cl)
	if err != nil {
		return err
	}
	t := &target{name: "authme", base: base, pid: ap.pid(), proc: ap, full: true}
	if t.client, err = logIn(ctx, base); err != nil {
		return fmt.Errorf("log in to authme: %w", err)
	}
	logf("signing up %d accounts for the flood to name", knownAccounts)
	if err := signUpKnown(ctx, base, t.client); err != nil {
		return err
	}
	if _, _, err := waitDrained(ctx, metrics, drainWait); err != nil { // their verification mail
		return err
	}
	time.Sleep(settle)

	rep.LoadAvg = loadAvg()
	rep.RSSStartMiB = rssMiB(t.pid)
	login := func(id string) (result, error) {
		l := load{conns: conns, duration: o.duration, statuses: true}
		w, err := runWrk(ctx, tmp, base, t.requestFor("login"), l)
		return toResult(id, "authme", l, w), err
	}

	rep.Waits = map[string]phaseWaits{}
	measureWaits := func(phase string, run func() error) error {
		before, err := readWaits(ctx, metrics)
		if err != nil {
			return err
		}
		if err := run(); err != nil {
			return err
		}
		after, err := readWaits(ctx, metrics)
		if err != nil {
			return err
		}
		rep.Waits[phase] = after.minus(before)
		return nil
	}

	logf("log-ins alone, %s", o.duration)
	if err := resetPeakRSS(t.pid); err != nil {
		logf("cannot reset authme's peak RSS: %v", err)
	}
	if err := measureWaits("login_alone_before", func() (err error) {
		rep.LoginBefore, err = login("login-alone-before")
		return err
	}); err != nil {
		return err
	}
	if kib, err := peakRSSKiB(t.pid); err == nil {
		rep.RSSPeakAloneMiB = float64(kib) / 1024
	}
	time.Sleep(settle)

	logf("log-ins under a flood of reset requests, %s", o.duration)
	rep.DBBytesBefore = sqliteBytes(tmp, o.postgres)
	if err := resetPeakRSS(t.pid); err != nil {
		logf("cannot reset authme's peak RSS: %v", err)
	}
	rep.RSSBeforeFlood = rssMiB(t.pid)
	stopSampling := make(chan struct{})
	var sampled int64
	var samplerDone sync.WaitGroup
	samplerDone.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				if kib, err := rssKiB(t.pid); err == nil {
					sampled = max(sampled, kib)
					rep.RSSSamples++
				}
			}
		}
	})
	var profileDone sync.WaitGroup
	if o.profile != "" {
		profileDone.Go(func() {
			secs := max(1, int(o.duration.Seconds())-2)
			if err := fetchTo(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", metrics, secs), o.profile); err != nil {
				logf("CPU profile: %v", err)
				return
			}
			rep.Profile = o.profile
		})
	}
	err = measureWaits("under_flood", func() error {
		var floodErr, loginErr error
		var phase sync.WaitGroup
		phase.Go(func() {
			l := load{conns: floodConns, duration: o.duration, statuses: true}
			w, err := runWrkScript(ctx, tmp, base+"/api/password-reset", floodScript(t.client), l)
			rep.Flood, floodErr = toResult("reset-flood", "authme", l, w), err
		})
		phase.Go(func() { rep.LoginFlood, loginErr = login("login-under-flood") })
		phase.Wait()
		return errors.Join(floodErr, loginErr)
	})
	close(stopSampling)
	samplerDone.Wait()
	profileDone.Wait()
	if err != nil {
		return err
	}
	rep.RSSEndFloodMiB = rssMiB(t.pid)
	peak, _ := peakRSSKiB(t.pid)
	rep.RSSPeakFloodMiB = float64(max(peak, sampled)) / 1024
	rep.Flood.PeakRSSMiB, rep.Flood.BeforeRSSMiB = rep.RSSPeakFloodMiB, rep.RSSBeforeFlood
	if rep.PendingEndFlood, err = metricValue(ctx, metrics, "authme_mail_pending"); err != nil {
		return err
	}
	rep.DBBytesAfter = sqliteBytes(tmp, o.postgres)
	logf("%d mails pending as the flood ends; waiting up to %s for the sender", rep.PendingEndFlood, drainWait)
	var took time.Duration
	if rep.PendingAfter, took, err = waitDrained(ctx, metrics, drainWait); err != nil {
		return err
	}
	rep.DrainSeconds = took.Seconds()
	rep.RSSAfterDrainMiB = rssMiB(t.pid)
	time.Sleep(settle)

	logf("log-ins alone again, %s", o.duration)
	if err := measureWaits("login_alone_after", func() (err error) {
		rep.LoginAfter, err = login("login-alone-after")
		return err
	}); err != nil {
		return err
	}
	rep.LoadAvgAfter = loadAvg()
	rep.RSSEndMiB = rssMiB(t.pid)
	if rep.PendingEnd, err = metricValue(ctx, metrics, "authme_mail_pending"); err != nil {
		return err
	}
	rep.Mail = map[string]int64{}
	for _, outcome := range []string{"queued", "sent", "retried", "failed", "dropped"} {
		if rep.Mail[outcome], err = metricValue(ctx, metrics, `authme_mail_total{outcome="`+outcome+`"}`); err != nil {
			return err
		}
	}
	if err := t.checkAlive(); err != nil {
		return err
	}
	if alone := (rep.LoginBefore.OKRPS + rep.LoginAfter.OKRPS) / 2; alone > 0 {
		rep.Ratio = rep.LoginFlood.OKRPS / alone
		hi := max(rep.LoginBefore.OKRPS, rep.LoginAfter.OKRPS)
		rep.AloneDrift = (hi - min(rep.LoginBefore.OKRPS, rep.LoginAfter.OKRPS)) / hi
	}
	ap.stop()
	rep.AuthmeLog = summarizeLog(authmeLog)

	fmt.Fprintln(stdout)
	rep.writeText(stdout)
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(o.jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// writeText prints the case's figures.
func (r *floodReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "reset flood, authme on %s, %s a phase, load average before %s, after %s\n", r.Database, r.Duration, r.LoadAvg, r.LoadAvgAfter)
	row := func(name string, x result) {
		fmt.Fprintf(w, "  %-22s %8.1f req/s  %8.1f 2xx/s  p50 %7.1f ms  p99 %7.1f ms  statuses %v\n", name, x.RPS, x.OKRPS, x.P50ms, x.P99ms, x.Statuses)
	}
	row("log-in alone", r.LoginBefore)
	row("log-in under flood", r.LoginFlood)
	row("reset flood", r.Flood)
	row("log-in alone again", r.LoginAfter)
	fmt.Fprintf(w, "  log-ins under the flood / alone: %.2f (the two phases alone %.0f%% apart)\n", r.Ratio, r.AloneDrift*100)
	if r.AloneDrift > maxDrift {
		fmt.Fprintf(w, "  WARNING: log-ins alone changed by over %.0f%% between the first phase and the last: something else took the machine's CPU; run again when it is quiet\n", maxDrift*100)
	}
	for _, p := range []string{"login_alone_before", "under_flood", "login_alone_after"} {
		x := r.Waits[p]
		fmt.Fprintf(w, "  %-19s database pool: %d waits, %.1f s in all; hashing slot: %d waits, mean %.1f ms\n",
			p, x.PoolWaits, x.PoolWaitSeconds, x.HashWaits, x.meanHashWaitMs())
	}
	fmt.Fprintf(w, "  RSS MiB: start %.1f, peak alone %.1f, flood start %.1f, flood peak %.1f (%d samples), flood end %.1f, drained %.1f, end %.1f\n",
		r.RSSStartMiB, r.RSSPeakAloneMiB, r.RSSBeforeFlood, r.RSSPeakFloodMiB, r.RSSSamples, r.RSSEndFloodMiB, r.RSSAfterDrainMiB, r.RSSEndMiB)
	fmt.Fprintf(w, "  outbox pending: %d as the flood ends, %d after %.1f s, %d at the end; mail %v\n",
		r.PendingEndFlood, r.PendingAfter, r.DrainSeconds, r.PendingEnd, r.Mail)
	if r.DBBytesBefore > 0 {
		fmt.Fprintf(w, "  SQLite files: %.1f MiB before the flood, %.1f MiB after\n", float64(r.DBBytesBefore)/(1<<20), float64(r.DBBytesAfter)/(1<<20))
	}
	for _, l := range r.AuthmeLog.logLines("authme", 5) {
		fmt.Fprintln(w, "  "+l)
	}
}

// floodScript builds every request itself: one in floodKnownEvery names one of the
// known accounts, the others a new address nobody has; each comes from a new client
// address (X-Forwarded-For, believed from loopback), 10.<thread>.x.y.
func floodScript(c client) string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = \"POST\"\n")
	fmt.Fprintf(&b, "wrk.headers[\"Content-Type\"] = \"application/json\"\n")
	fmt.Fprintf(&b, "wrk.headers[\"XSRF-Token\"] = %s\n", luaString(c.xsrf))
	fmt.Fprintf(&b, "wrk.headers[\"Cookie\"] = %s\n", luaString(c.cookieHeader("_csrf", "XSRF-TOKEN")))
	fmt.Fprintf(&b, `
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args) counts = {}; n = 0 end
function request()
  n = n + 1
  local email
  if n %% %d == 0 then
    email = string.format("known-%%d@example.com", (n / %d + tid * 7) %% %d)
  else
    email = string.format("nobody-%%d-%%d@example.com", tid, n)
  end
  wrk.headers["X-Forwarded-For"] = string.format("10.%%d.%%d.%%d", tid, math.floor(n / 256) %% 256, n %% 256)
  return wrk.format(nil, nil, nil, '{"email":"' .. email .. '"}')
end
function response(status, headers, body) counts[status] = (counts[status] or 0) + 1 end
`, floodKnownEvery, floodKnownEvery, knownAccounts)
	b.WriteString(wrkDone)
	return b.String()
}

// signUpKnown creates the accounts known-N@example.com, each from its own client address.
func signUpKnown(ctx context.Context, base string, c client) error {
	hc := &http.Client{Timeout: 30 * time.Second}
	for i := range knownAccounts {
		body := fmt.Sprintf(`{"username":"flood%d","email":"known-%d@example.com","password":"violet-harbor-lantern-%d"}`, i, i, i)
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/users", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("XSRF-Token", c.xsrf)
		req.Header.Set("Cookie", c.cookieHeader("_csrf", "XSRF-TOKEN"))
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.200.%d.%d", i/256, i%256))
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("sign up known-%d: %d %s", i, res.StatusCode, b)
		}
	}
	return nil
}

// waitDrained waits until authme's outbox has nothing pending, or limit passes, and
// returns what is pending then and how long it waited.
func waitDrained(ctx context.Context, metrics string, limit time.Duration) (int64, time.Duration, error) {
	t0 := time.Now()
	for {
		n, err := metricValue(ctx, metrics, "authme_mail_pending")
		if err != nil {
			return 0, 0, err
		}
		if n == 0 || time.Since(t0) > limit {
			return n, time.Since(t0), nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// metricValue reads one series (name with its labels, as exposed) from /metrics.
func metricValue(ctx context.Context, base, series string) (int64, error) {
	f, err := metricFloat(ctx, base, series)
	return int64(f), err
}

// metricFloat is metricValue with the value as exposed.
func metricFloat(ctx context.Context, base, series string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no %s in authme's metrics", series)
}

// fetchTo saves url's body in file.
func fetchTo(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startMailpit starts a Mailpit on free loopback ports for authme to send to, and
// returns it with its SMTP address.
func startMailpit(ctx context.Context, bin, tmp string) (*proc, string, error) {
	if bin == "" {
		if p, err := exec.LookPath("mailpit"); err == nil {
			bin = p
		} else if home, err := os.UserHomeDir(); err == nil {
			bin = filepath.Join(home, "go", "bin", "mailpit")
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, "", fmt.Errorf("the reset-flood case sends its mail to a Mailpit: none at %q (go install github.com/axllent/mailpit@latest, or pass --mailpit)", bin)
	}
	smtpPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	smtpAddr := fmt.Sprintf("127.0.0.1:%d", smtpPort)
	p, err := startProc("mailpit", bin, []string{
		"--smtp", smtpAddr, "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(tmp, "mailpit.db"),
		"--smtp-disable-rdns", "--disable-version-check",
	}, []string{"HOME=" + tmp}, tmp, filepath.Join(tmp, "mailpit.log"))
	if err != nil {
		return nil, "", err
	}
	if err := waitOK(ctx, p, fmt.Sprintf("http://127.0.0.1:%d/readyz", httpPort), 30*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, smtpAddr, nil
}

// rssMiB is the process's resident memory now, 0 when unknown.
func rssMiB(pid int) float64 {
	kib, _ := rssKiB(pid)
	return float64(kib) / 1024
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// sqliteBytes is the size of authme's SQLite files (database and write-ahead log); 0 on
// PostgreSQL.
func sqliteBytes(tmp, postgres string) int64 {
	if postgres != "" {
		return 0
	}
	var n int64
	for _, f := range []string{"authme.db", "authme.db-wal"} {
		if st, err := os.Stat(filepath.Join(tmp, f)); err == nil {
			n += st.Size()
		}
	}
	return n
}

// phaseWaits is how often, and how long, requests waited during a phase: for one of the
// database pool's connections, and log-ins for a hashing slot.
type phaseWaits struct {
	PoolWaits       int64   `json:"db_pool_waits"`
	PoolWaitSeconds float64 `json:"db_pool_wait_seconds"`
	HashWaits       int64   `json:"hash_waits"`
	HashWaitSeconds float64 `json:"hash_wait_seconds"`
}

func (a phaseWaits) minus(b phaseWaits) phaseWaits {
	return phaseWaits{a.PoolWaits - b.PoolWaits, a.PoolWaitSeconds - b.PoolWaitSeconds, a.HashWaits - b.HashWaits, a.HashWaitSeconds - b.HashWaitSeconds}
}

func (a phaseWaits) meanHashWaitMs() float64 {
	if a.HashWaits == 0 {
		return 0
	}
	return a.HashWaitSeconds / float64(a.HashWaits) * 1000
}

// readWaits reads the wait counters from authme's metrics.
func readWaits(ctx context.Context, metrics string) (phaseWaits, error) {
	var w phaseWaits
	for _, m := range []struct {
		series string
		into   *float64
	}{
		{`go_sql_wait_count_total{db_name="authme"}`, nil},
		{`go_sql_wait_duration_seconds_total{db_name="authme"}`, &w.PoolWaitSeconds},
		{"authme_password_hash_wait_seconds_count", nil},
		{"authme_password_hash_wait_seconds_sum", &w.HashWaitSeconds},
	} {
		v, err := metricFloat(ctx, metrics, m.series)
		if err != nil {
			return w, err
		}
		switch {
		case m.into != nil:
			*m.into = v
		case strings.HasPrefix(m.series, "go_sql"):
			w.PoolWaits = int64(v)
		default:
			w.HashWaits = int64(v)
		}
	}
	return w, nil
}
