package main

import (
	"io"
	"math"
	"testing"
)

func TestLuaString(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{`plain`, `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nbreak", `"line\010break"`},
		{"é", `"\195\169"`},
	}
	for _, c := range cases {
		if got := luaString(c.in); got != c.want {
			t.Errorf("luaString(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestGoalJudge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		g        goal
		status   string
		detail   string
		measured float64
	}{
		{"AtLeastMet", goal{Measured: 0.7, Op: ">=", Target: 0.7}, "met", "", 0.7},
		{"AtLeastMissedSaysByHowMuch", goal{Measured: 0.35, Op: ">=", Target: 0.7}, "missed", "short by 50%", 0.35},
		{"BelowMissedSaysByHowMuch", goal{Measured: 75, Op: "<", Target: 50}, "missed", "over by 50%", 75},
		{"NotMeasured", goal{Measured: math.NaN(), Op: "<", Target: 50}, "not measured", "why", 0},
		{"NoGoalOnThisDatabase", goal{Measured: 0.35, Op: ">=", Target: math.NaN()}, "no goal", "the issue sets this one on SQLite", 0.35},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := c.g
			g.judge("why")
			if g.Status != c.status || g.Detail != c.detail || g.Measured != c.measured {
				t.Errorf("judge = %q %q %v, want %q %q %v", g.Status, g.Detail, g.Measured, c.status, c.detail, c.measured)
			}
		})
	}
}

func TestToResultCountsOnly2xxAsSuccess(t *testing.T) {
	t.Parallel()
	w := wrkOutput{Requests: 100, DurationUS: 2e6, Status: 10, Read: 1, Statuses: map[string]int64{"200": 90, "503": 10}}
	r := toResult("login", "authme", load{conns: 50}, w)
	if r.OKRPS != 45 || r.RPS != 50 || r.Errors != 11 || r.Shed != 10 {
		t.Errorf("got ok/s %v, req/s %v, errors %d, shed %d; want 45, 50, 11, 10", r.OKRPS, r.RPS, r.Errors, r.Shed)
	}
}

func TestCompact(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0.42: "0.42", 3.1: "3.1", 87: "87", 1234: "1.2k", 45678: "46k", 2e6: "2M"} {
		if got := compact(in); got != want {
			t.Errorf("compact(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseOptionsResetFlood(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		ok   bool
	}{
		{"Alone", []string{"--reset-flood", "--duration", "10s", "--json", "out.json", "--profile", "cpu.prof"}, true},
		{"NotWithMarkdown", []string{"--reset-flood", "--markdown", "BENCHMARKS.md"}, false},
		{"NotWithExpress", []string{"--reset-flood", "--express", "http://127.0.0.1:8100"}, false},
		{"ProfileOnlyWithIt", []string{"--profile", "cpu.prof"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseOptions(c.args, io.Discard)
			if (err == nil) != c.ok {
				t.Errorf("parseOptions(%q) error %v, want ok %v", c.args, err, c.ok)
			}
		})
	}
}

func TestParseOptionsPasskey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     []string
		ok       bool
		wantJSON string
	}{
		{"AloneWritesItsJSON", []string{"--passkey", "--duration", "10s"}, true, "bench/passkey.json"},
		{"JSONElsewhere", []string{"--passkey", "--json", "out.json"}, true, "out.json"},
		{"OnPostgres", []string{"--passkey", "--postgres", "postgres://127.0.0.1/bench"}, true, "bench/passkey.json"},
		{"NotWithResetFlood", []string{"--passkey", "--reset-flood"}, false, ""},
		{"NotWithMarkdown", []string{"--passkey", "--markdown", "BENCHMARKS.md"}, false, ""},
		{"NotWithExpress", []string{"--passkey", "--express", "http://127.0.0.1:8100"}, false, ""},
		{"NotWithProfile", []string{"--passkey", "--profile", "cpu.prof"}, false, ""},
		{"ShortDuration", []string{"--passkey", "--duration", "500ms"}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseOptions(c.args, io.Discard)
			if (err == nil) != c.ok {
				t.Fatalf("parseOptions(%q) error %v, want ok %v", c.args, err, c.ok)
			}
			if c.ok && (!o.passkey || o.jsonOut != c.wantJSON) {
				t.Errorf("parseOptions(%q) = passkey %v, json %q; want true, %q", c.args, o.passkey, o.jsonOut, c.wantJSON)
			}
		})
	}
}
