package main

import (
	"fmt"
	"math"
)

// goal is one of issue 7's targets, judged from this run's numbers only.
type goal struct {
	Name     string  `json:"name"`
	Measured float64 `json:"measured"` // 0 when not measured (see Status)
	Unit     string  `json:"unit"`
	Op       string  `json:"op"` // ">=", "<" or "<="
	Target   float64 `json:"target"`
	Status   string  `json:"status"` // met, missed, not measured, no goal (Target NaN)
	Detail   string  `json:"detail"`
}

const mib = "MiB"

// judge fills Status and Detail. A miss says by how much, relative to the target.
func (g *goal) judge(why string) {
	if math.IsNaN(g.Target) {
		g.Status, g.Detail, g.Target = "no goal", "the issue sets this one on SQLite", 0
		return
	}
	if math.IsNaN(g.Measured) {
		g.Status, g.Detail, g.Measured = "not measured", why, 0
		return
	}
	var met bool
	switch g.Op {
	case ">=":
		met = g.Measured >= g.Target
	case "<":
		met = g.Measured < g.Target
	case "<=":
		met = g.Measured <= g.Target
	}
	if met {
		g.Status = "met"
		return
	}
	g.Status = "missed"
	if g.Op == ">=" {
		g.Detail = fmt.Sprintf("short by %.0f%%", 100*(g.Target-g.Measured)/g.Target)
	} else {
		g.Detail = fmt.Sprintf("over by %.0f%%", 100*(g.Measured-g.Target)/g.Target)
	}
}

// goals computes every target of the issue from rep's rows.
func goals(rep *report) []goal {
	rs := rep.Results
	nan := math.NaN()
	ok := rep.okRPS
	peak := func(ids ...string) float64 {
		m := nan
		for _, id := range ids {
			if r, found := find(rs, id, "authme"); found && r.PeakRSSMiB > 0 && !(r.PeakRSSMiB <= m) {
				m = r.PeakRSSMiB
			}
		}
		return m
	}
	// The targets are on SQLite unless it says otherwise; on PostgreSQL it sets only
	// the comparison with the original (20×, as a query crosses a socket), and no ratio to the
	// database-free ceiling.
	expressX, ceilingX := 30.0, 0.50
	if rep.Database == "postgres" {
		expressX, ceilingX = 20, math.NaN()
	}
	expressName := "session: authme / express"
	if rep.ExpressDatabase != "" && rep.ExpressDatabase != rep.Database {
		expressName += fmt.Sprintf(" (authme on %s, express on %s)", rep.Database, rep.ExpressDatabase)
	}
	mixedP99 := nan
	if r, found := find(rs, "mixed-session", "authme"); found {
		mixedP99 = r.P99ms
	}
	startup := nan
	if rep.StartupMedianMs > 0 {
		startup = rep.StartupMedianMs
	}

	gs := []goal{
		{Name: "hello: authme / ceiling", Measured: ok("hello", "authme") / ok("hello", "ceiling"), Op: ">=", Target: 0.70},
		{Name: "session: authme / ceiling (JWT only)", Measured: ok("session", "authme") / ok("session", "ceiling"), Op: ">=", Target: ceilingX},
		{Name: expressName, Measured: ok("session", "authme") / ok("session", "express"), Unit: "×", Op: ">=", Target: expressX},
		{Name: fmt.Sprintf("login: authme / hash-bound limit (%.1f/s)", rep.HashLimit), Measured: ok("login", "authme") / rep.HashLimit, Op: ">=", Target: 0.90},
		{Name: "mixed: session p99 during log-in flood", Measured: mixedP99, Unit: "ms", Op: "<", Target: 50},
		{Name: "peak RSS, read cases (hello, csrf, session)", Measured: peak("hello", "csrf", "session"), Unit: mib, Op: "<=", Target: 48},
		{Name: "peak RSS, log-in flood (login, mixed)", Measured: peak("login", "mixed-login"), Unit: mib, Op: "<=", Target: 128},
		{Name: fmt.Sprintf("start-up on an existing database (median of %d)", len(rep.StartupMs)), Measured: startup, Unit: "ms", Op: "<", Target: 300},
	}
	for i := range gs {
		why := "not measured in this run"
		if gs[i].Name == expressName {
			why = "needs --express"
		}
		gs[i].judge(why)
	}
	return gs
}

// formatGoalValue prints a measured value or target with its unit.
func formatGoalValue(v float64, unit string) string {
	switch unit {
	case "×":
		return fmt.Sprintf("%.1f×", v)
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case mib:
		return fmt.Sprintf("%.1f MiB", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// opText is the comparison as people write it.
func opText(op string) string {
	switch op {
	case ">=":
		return "≥"
	case "<=":
		return "≤"
	}
	return op
}
