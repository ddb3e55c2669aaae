package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// benchCase is one workload, run against every target that supports it.
type benchCase struct {
	id    string
	title string
	full  bool // needs CSRF and log-in, which the ceiling lacks
}

var benchCases = []benchCase{
	{"hello", "GET /hello/world", false},
	{"csrf", "GET /api/csrf/restore", true},
	{"session", "GET /api/session, logged in", false},
	{"login", "POST /api/session, right password", true},
	{"mixed", "log-in flood + session restores", true},
}

const (
	conns        = 50 // wrk -c for every case, and for the log-in flood
	restoreConns = 10 // wrk -c for the session restores beside the flood
	// settle lets sockets in TIME_WAIT and garbage from one case go before the next.
	settle = time.Second
)

// result is one row of the table: a case (or half of the mixed case) on one target.
type result struct {
	Case     string           `json:"case"` // hello, csrf, session, login, mixed-login, mixed-session
	Target   string           `json:"target"`
	Conns    int              `json:"connections"`
	Seconds  float64          `json:"seconds"`
	Requests int64            `json:"requests"`
	RPS      float64          `json:"rps"`    // every answer
	OKRPS    float64          `json:"ok_rps"` // 2xx answers only
	P50ms    float64          `json:"p50_ms"`
	P99ms    float64          `json:"p99_ms"`
	MaxMs    float64          `json:"max_ms"`
	Errors   int64            `json:"errors"`   // non-2xx answers + socket errors + timeouts
	Shed     int64            `json:"shed_503"` // log-ins refused with 503 (counted in log-in cases only)
	Statuses map[string]int64 `json:"statuses,omitempty"`
	// PeakRSSMiB is the server's peak resident memory during the case; 0 when unknown.
	// BeforeRSSMiB is its resident memory when the case began: the peak never reads
	// lower, since resetting the peak sets it to the size at that moment.
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	BeforeRSSMiB float64 `json:"before_rss_mib"`
}

// requestFor is case id's request as t's logged-in browser would send it: the CSRF
// secret cookie always (a returning visitor), the token where a session is needed.
func (t *target) requestFor(id string) request {
	c := t.client
	h := map[string]string{}
	setCookie := func(names ...string) {
		if v := c.cookieHeader(names...); v != "" {
			h["Cookie"] = v
		}
	}
	switch id {
	case "hello":
		setCookie("_csrf")
		return request{method: "GET", path: "/hello/world", headers: h}
	case "csrf":
		setCookie("_csrf")
		return request{method: "GET", path: "/api/csrf/restore", headers: h}
	case "session":
		setCookie("_csrf", "token")
		return request{method: "GET", path: "/api/session", headers: h}
	case "login":
		// No token cookie: authme would end the session it names, and the next
		// request's token would be stale.
		setCookie("_csrf", "XSRF-TOKEN")
		h["XSRF-Token"], h["Content-Type"] = c.xsrf, "application/json"
		return request{method: "POST", path: "/api/session", body: demoLogin, headers: h}
	}
	panic("unknown case " + id)
}

// suite runs the cases.
type suite struct {
	tmp      string
	duration time.Duration
	targets  []*target
	results  []result
	// aroundLogin runs just before and just after authme's log-in case.
	aroundLogin func() error
}

// run runs every case on every target that supports it, case by case, so the targets
// of one case are measured close together in time.
func (s *suite) run(ctx context.Context) error {
	for _, c := range benchCases {
		for _, t := range s.targets {
			if c.full && !t.full {
				continue
			}
			hook := func() error { return nil }
			if c.id == "login" && t.name == "authme" && s.aroundLogin != nil {
				hook = s.aroundLogin
			}
			if err := hook(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: %-8s %s …\n", t.name, c.id)
			rs, err := s.runCase(ctx, c, t)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", c.id, t.name, err)
			}
			if err := hook(); err != nil {
				return err
			}
			if err := t.checkAlive(); err != nil {
				return err
			}
			s.results = append(s.results, rs...)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(settle):
			}
		}
	}
	return nil
}

// runCase measures one case on one target, with the server's peak memory.
func (s *suite) runCase(ctx context.Context, c benchCase, t *target) ([]result, error) {
	var before int64
	if t.pid != 0 {
		if err := resetPeakRSS(t.pid); err != nil {
			fmt.Fprintf(os.Stderr, "bench: cannot reset %s's peak RSS: %v\n", t.name, err)
		}
		before, _ = rssKiB(t.pid)
	}
	var rs []result
	if c.id != "mixed" {
		l := load{conns: conns, duration: s.duration, statuses: c.id == "login"}
		w, err := runWrk(ctx, s.tmp, t.base, t.requestFor(c.id), l)
		if err != nil {
			return nil, err
		}
		rs = append(rs, toResult(c.id, t.name, l, w))
	} else {
		// The log-in flood and the session restores run at once: the restores' p99 says
		// whether hashing starves everything else.
		parts := []struct {
			id  string
			req request
			l   load
		}{
			{"mixed-login", t.requestFor("login"), load{conns: conns, duration: s.duration, statuses: true}},
			{"mixed-session", t.requestFor("session"), load{conns: restoreConns, duration: s.duration}},
		}
		rs = make([]result, len(parts))
		errs := make([]error, len(parts))
		var wg sync.WaitGroup
		for i, p := range parts {
			wg.Go(func() {
				var w wrkOutput
				w, errs[i] = runWrk(ctx, s.tmp, t.base, p.req, p.l)
				rs[i] = toResult(p.id, t.name, p.l, w)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	if t.pid != 0 {
		if kib, err := peakRSSKiB(t.pid); err == nil {
			for i := range rs {
				rs[i].PeakRSSMiB, rs[i].BeforeRSSMiB = float64(kib)/1024, float64(before)/1024
			}
		}
	}
	return rs, nil
}

// toResult turns wrk's summary into a row.
func toResult(id, target string, l load, w wrkOutput) result {
	secs := float64(w.DurationUS) / 1e6
	if secs <= 0 {
		secs = l.duration.Seconds()
	}
	ok := w.Requests - w.Status // wrk counts status ≥ 400 as errors
	var shed int64
	if len(w.Statuses) > 0 {
		ok = 0
		for code, n := range w.Statuses {
			if strings.HasPrefix(code, "2") {
				ok += n
			}
		}
		shed = w.Statuses["503"]
	}
	return result{
		Case: id, Target: target, Conns: l.conns, Seconds: secs, Requests: w.Requests,
		RPS: float64(w.Requests) / secs, OKRPS: float64(ok) / secs,
		P50ms: w.P50US / 1000, P99ms: w.P99US / 1000, MaxMs: w.MaxUS / 1000,
		Errors:   (w.Requests - ok) + w.Connect + w.Read + w.Write + w.Timeout,
		Shed:     shed,
		Statuses: w.Statuses,
	}
}

// find returns the row for case id on target, if it was measured.
func find(rs []result, id, target string) (result, bool) {
	for _, r := range rs {
		if r.Case == id && r.Target == target {
			return r, true
		}
	}
	return result{}, false
}
