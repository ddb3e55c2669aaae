package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// request is one HTTP request wrk repeats.
type request struct {
	method, path, body string
	headers            map[string]string
}

// load is how hard wrk pushes.
type load struct {
	conns    int
	duration time.Duration
	// statuses makes wrk count answers per status code. It costs wrk a Lua call per
	// response, so only the log-in cases, where 503s must be counted, pay it.
	statuses bool
}

// wrkThreads is wrk's -t: two threads, one per core of the machines this is meant for.
const wrkThreads = 2

// wrkOutput is what the done() function of the generated script prints.
type wrkOutput struct {
	Requests   int64            `json:"requests"`
	DurationUS int64            `json:"duration_us"`
	P50US      float64          `json:"p50_us"`
	P99US      float64          `json:"p99_us"`
	MaxUS      float64          `json:"max_us"`
	Connect    int64            `json:"connect"`
	Read       int64            `json:"read"`
	Write      int64            `json:"write"`
	Status     int64            `json:"status"` // answers with status ≥ 400
	Timeout    int64            `json:"timeout"`
	Statuses   map[string]int64 `json:"statuses,omitempty"`
}

// runWrk runs wrk against base+req.path and returns its summary. Its own deadline
// bounds it even if wrk hangs.
func runWrk(ctx context.Context, dir, base string, req request, l load) (wrkOutput, error) {
	return runWrkScript(ctx, dir, base+req.path, wrkScript(req, l.statuses), l)
}

// runWrkScript runs wrk with a Lua script whose done() prints the BENCHJSON summary
// (wrkScript's, or one that builds each request itself).
func runWrkScript(ctx context.Context, dir, url, script string, l load) (wrkOutput, error) {
	f, err := os.CreateTemp(dir, "case-*.lua")
	if err != nil {
		return wrkOutput{}, err
	}
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		return wrkOutput{}, err
	}
	f.Close()

	ctx, cancel := context.WithTimeout(ctx, l.duration+30*time.Second)
	defer cancel()
	secs := int(l.duration.Round(time.Second) / time.Second)
	cmd := exec.CommandContext(ctx, "wrk",
		"-t", fmt.Sprint(wrkThreads), "-c", fmt.Sprint(l.conns), "-d", fmt.Sprintf("%ds", secs),
		// Longer than authme's 2 s wait for a hashing slot, so a shed log-in is counted as
		// its 503 rather than as a wrk timeout, and as long as the case, so the Express
		// app's slow log-ins are measured rather than abandoned.
		"--timeout", fmt.Sprintf("%ds", max(10, secs)),
		"-s", f.Name(), url)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return wrkOutput{}, fmt.Errorf("wrk %s: %w\n%s%s", url, err, out.String(), errOut.String())
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if js, ok := strings.CutPrefix(sc.Text(), "BENCHJSON "); ok {
			var w wrkOutput
			if err := json.Unmarshal([]byte(js), &w); err != nil {
				return w, fmt.Errorf("wrk summary %q: %w", js, err)
			}
			return w, nil
		}
	}
	return wrkOutput{}, fmt.Errorf("wrk printed no summary:\n%s%s", out.String(), errOut.String())
}

// wrkScript is the Lua script for req. Setting wrk.method/body/headers at the top level
// keeps wrk's fast path (one pre-built request); done() prints one JSON line.
func wrkScript(req request, statuses bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %s\n", luaString(req.method))
	if req.body != "" {
		fmt.Fprintf(&b, "wrk.body = %s\n", luaString(req.body))
	}
	names := make([]string, 0, len(req.headers))
	for k := range req.headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "wrk.headers[%s] = %s\n", luaString(k), luaString(req.headers[k]))
	}
	if statuses {
		// Each wrk thread has its own Lua state; setup() keeps the threads so done() can
		// add up their counts.
		b.WriteString(`
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body) counts[status] = (counts[status] or 0) + 1 end
`)
	} else {
		b.WriteString("local threads = {}\n")
	}
	b.WriteString(wrkDone)
	return b.String()
}

// wrkDone is the done() every script ends with: it adds up the threads' status counts
// (when they keep any) and prints one BENCHJSON line.
const wrkDone = `
function done(summary, latency, requests)
  local sum = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("counts")) do sum[code] = (sum[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(sum) do table.insert(parts, string.format('"%d":%d', code, n)) end
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%.1f,"p99_us":%.1f,"max_us":%.1f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")))
end
`

// luaString quotes s as a Lua string literal; anything but printable ASCII becomes a
// decimal escape, so no value can break out of the literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
