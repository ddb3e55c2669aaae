package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"authme/internal/password"
)

// report is everything one run measured; it is also the saved JSON.
type report struct {
	Date     string  `json:"date"`
	Command  string  `json:"command"`
	Machine  machine `json:"machine"`
	Database string  `json:"database"` // authme's: sqlite or postgres
	// ExpressDatabase is the Express original's (sqlite or postgres), when it ran.
	ExpressDatabase string  `json:"express_database,omitempty"`
	Duration        string  `json:"duration"` // per case
	Cores           int     `json:"cores"`
	HashMs          float64 `json:"argon2id_hash_ms"`
	HashLimit       float64 `json:"hash_bound_logins_per_s"` // cores ÷ hash time
	// ParallelHashMs is one hash's time with one running per core: when it is well above
	// HashMs, the cores do not scale and the limit above is out of reach.
	ParallelHashMs  float64    `json:"argon2id_hash_ms_parallel"`
	StartupMs       []float64  `json:"startup_ms"`
	StartupMedianMs float64    `json:"startup_median_ms"`
	Results         []result   `json:"results"`
	Goals           []goal     `json:"goals"`
	AuthmeLog       logSummary `json:"authme_log"`
}

// caseLabels names the rows for people.
var caseLabels = map[string]string{
	"hello":         "hello",
	"csrf":          "csrf restore",
	"session":       "session restore",
	"login":         "login",
	"mixed-login":   "mixed: login flood",
	"mixed-session": "mixed: session restore",
}

func fmtRate(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtMs(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtRSS(r result) string {
	if r.PeakRSSMiB <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB (%.1f)", r.PeakRSSMiB, r.BeforeRSSMiB)
}

func fmtErrors(r result) string {
	s := fmt.Sprint(r.Errors)
	if r.Shed > 0 {
		s += fmt.Sprintf(" (503: %d)", r.Shed)
	}
	return s
}

// rows is the results table as cells: header first.
func (rep *report) rows() [][]string {
	t := [][]string{{"case", "target", "conns", "req/s", "2xx/s", "p50 ms", "p99 ms", "errors", "peak RSS (before)"}}
	for _, r := range rep.Results {
		p50, p99 := fmtMs(r.P50ms), fmtMs(r.P99ms)
		if r.Requests == 0 { // wrk reports no latency without an answer
			p50, p99 = "no answer", "no answer"
		}
		t = append(t, []string{caseLabels[r.Case], r.Target, fmt.Sprint(r.Conns), fmtRate(r.RPS), fmtRate(r.OKRPS),
			p50, p99, fmtErrors(r), fmtRSS(r)})
	}
	return t
}

// goalRows is the targets table as cells: header first.
func (rep *report) goalRows() [][]string {
	t := [][]string{{"target", "measured", "goal", "result"}}
	for _, g := range rep.Goals {
		measured := "—"
		if g.Status != "not measured" {
			measured = formatGoalValue(g.Measured, g.Unit)
		}
		res := g.Status
		if g.Detail != "" {
			res += " (" + g.Detail + ")"
		}
		target := "—"
		if g.Status != "no goal" {
			target = opText(g.Op) + " " + formatGoalValue(g.Target, g.Unit)
		}
		t = append(t, []string{g.Name, measured, target, res})
	}
	return t
}

// parallelHashRate is how many hashes a second the machine completes with one per core.
func (rep *report) parallelHashRate() float64 {
	return float64(rep.Cores) / (rep.ParallelHashMs / 1000)
}

// okRPS is case id's 2xx rate on target, or NaN when it did not run.
func (rep *report) okRPS(id, target string) float64 {
	if r, found := find(rep.Results, id, target); found {
		return r.OKRPS
	}
	return math.NaN()
}

// summaryLines are the figures that are not per case.
func (rep *report) summaryLines() []string {
	l := []string{
		fmt.Sprintf("authme database: %s; %s per case; wrk -t%d -c%d (mixed: -c%d flood + -c%d restores)",
			rep.Database, rep.Duration, wrkThreads, conns, conns, restoreConns),
		fmt.Sprintf("Argon2id hash (%d KiB, t=%d, p=%d, authme's parameters), timed just before and after authme's log-in case: %.1f ms → hash-bound log-in limit %d cores ÷ %.1f ms = %.1f/s",
			password.OWASP.Memory, password.OWASP.Time, password.OWASP.Threads, rep.HashMs, rep.Cores, rep.HashMs, rep.HashLimit),
		fmt.Sprintf("with %d hashes at once one takes %.1f ms: the machine really hashes %.1f/s, and authme logs in %.2f of that",
			rep.Cores, rep.ParallelHashMs, rep.parallelHashRate(), rep.okRPS("login", "authme")/rep.parallelHashRate()),
		fmt.Sprintf("start-up to first 200 on an existing database: median %.1f ms (runs: %s)", rep.StartupMedianMs, joinMs(rep.StartupMs)),
	}
	if d, err := time.ParseDuration(rep.Duration); err == nil && d < 10*time.Second {
		l = append(l, "runs under 10 s are too short for the log-in cases: a log-in may wait 2 s for a hashing slot, "+
			"and the Express app answers a wave of 50 log-ins only after several seconds")
	}
	return l
}

func joinMs(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.1f", x)
	}
	return strings.Join(s, ", ")
}

// writeText prints the report for a terminal.
func (rep *report) writeText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range rep.rows() {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range rep.goalRows() {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, l := range rep.summaryLines() {
		fmt.Fprintln(w, l)
	}
	for _, l := range rep.AuthmeLog.logLines("authme", 6) {
		fmt.Fprintln(w, l)
	}
}

// markdown renders the report as BENCHMARKS.md; svg is the chart's path relative to it.
func (rep *report) markdown(svg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nauthme against a standard-library ceiling and the Express original, measured with wrk on one machine in one run (%s).\n\n", rep.Date)
	if svg != "" {
		fmt.Fprintf(&b, "![requests per second and p99 latency per case](%s)\n\n", filepath.ToSlash(svg))
	}
	b.WriteString("## Targets\n\n")
	mdTable(&b, rep.goalRows())
	b.WriteString("\n## Results\n\n")
	mdTable(&b, rep.rows())
	b.WriteString("\n")
	for _, l := range rep.summaryLines() {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	if l := rep.AuthmeLog.logLines("authme", 6); len(l) == 1 {
		fmt.Fprintf(&b, "- %s\n", l[0])
	} else {
		fmt.Fprintf(&b, "- %s\n\n  ```\n", l[0])
		for _, x := range l[1:] {
			fmt.Fprintf(&b, "  %s\n", strings.TrimSpace(x))
		}
		b.WriteString("  ```\n")
	}
	b.WriteString("\n## How it was measured\n\n")
	b.WriteString("- **authme**: the binary built with `CGO_ENABLED=0`, `APP_ENV=development`, `LOG_LEVEL=warn`, " +
		"`LOGIN_RATE_PER_MINUTE=0` (every wrk connection shares one address), a fixed `JWT_SECRET`.\n")
	b.WriteString("- **ceiling**: `bench/ceiling`, the standard library alone: `GET /hello/world`, and `GET /api/session` " +
		"verifying the HS256 token (no database, no middleware). It has no CSRF and no log-in.\n")
	switch rep.ExpressDatabase {
	case "postgres":
		b.WriteString("- **express**: the original authenticate-me app (`shared/reference/express-authenticate-me`, its `start.sh`) " +
			"in its production setup: `NODE_ENV=production`, PostgreSQL through `DATABASE_URL` and `SCHEMA` (SSL, as its configuration requires).\n")
	case "sqlite":
		b.WriteString("- **express**: the original authenticate-me app (`shared/reference/express-authenticate-me`, its `start.sh`, SQLite).\n")
	}
	b.WriteString("- Every request carries the cookies a returning browser has: `_csrf`; the session cases add `token`, " +
		"log-ins send `XSRF-Token` and the demo user's right password. 2xx/s counts successful answers only.\n")
	b.WriteString("- Peak RSS is `VmHWM` of the server process, reset before each case through `/proc/PID/clear_refs`.\n")
	b.WriteString("- wrk runs on the same machine and takes CPU from the servers; ratios measured in one run are comparable, absolute numbers less so.\n")
	b.WriteString("\n## Machine\n\n")
	m := rep.Machine
	fmt.Fprintf(&b, "- CPU: %s, %d cores (`nproc`)\n- memory: %.1f GiB\n- kernel: %s\n- %s\n- %s\n",
		m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.GoVersion, m.Wrk)
	if m.Node != "" {
		fmt.Fprintf(&b, "- node %s (the Express original)\n", m.Node)
	}
	fmt.Fprintf(&b, "\n## Command\n\n```sh\n%s\n```\n", rep.Command)
	return b.String()
}

func mdTable(b *strings.Builder, rows [][]string) {
	for i, row := range rows {
		fmt.Fprintf(b, "| %s |\n", strings.Join(row, " | "))
		if i == 0 {
			fmt.Fprintf(b, "|%s\n", strings.Repeat("---|", len(row)))
		}
	}
}
