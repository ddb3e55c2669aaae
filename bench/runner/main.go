// Command runner is issue 7's benchmark: it builds authme and a standard-library ceiling
// server, starts them (and measures authme's start-up), logs in, drives every case with
// wrk against each target (plus a running Express original when given), records peak
// memory, and prints one table with the targets judged from this one run.
//
// Run it from the repository root, through bench/run.sh or `go run ./bench/runner`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && ctx.Err() != nil {
		err = errors.New("interrupted; everything it started is stopped and removed")
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	express    string
	expressPID int
	expressDB  string
	postgres   string
	duration   time.Duration
	markdown   string
	jsonOut    string
	svgOut     string
	// resetFlood runs issue 13's reset-flood case alone (resetflood.go).
	resetFlood bool
	mailpit    string
	profile    string
	// passkey runs issue 15's passkey-against-password log-in case alone (passkey.go).
	passkey bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.express, "express", "", "URL of a running Express original, e.g. http://127.0.0.1:8100")
	fs.IntVar(&o.expressPID, "express-pid", 0, "its server PID, for peak RSS (default: the process listening on its port)")
	fs.StringVar(&o.expressDB, "express-db", "sqlite", "the database the Express original runs on: sqlite (its development setup) or postgres (its production setup)")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("DATABASE_URL"), "PostgreSQL URL: run authme on a fresh schema there instead of SQLite (default $DATABASE_URL)")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "length of each case")
	fs.StringVar(&o.markdown, "markdown", "", "write the report as markdown to this file (and the chart and JSON beside)")
	fs.StringVar(&o.jsonOut, "json", "", "write the raw results as JSON here (default with --markdown: bench/results.json)")
	fs.StringVar(&o.svgOut, "svg", "", "write the chart here (default with --markdown: bench/results.svg)")
	fs.BoolVar(&o.resetFlood, "reset-flood", false, "run only the reset-flood case: log-ins alone, under a flood of password-reset requests, and alone again (results: --json)")
	fs.StringVar(&o.mailpit, "mailpit", "", "the Mailpit binary the reset-flood case sends mail to (default: mailpit on PATH, else ~/go/bin/mailpit)")
	fs.BoolVar(&o.passkey, "passkey", false, "run only the passkey case: password log-ins, passkey log-ins, password log-ins again, by Go client workers (results: --json, default bench/passkey.json)")
	fs.StringVar(&o.profile, "profile", "", "reset-flood: save a CPU profile of authme during the flood here")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.expressDB != "sqlite" && o.expressDB != "postgres" {
		return o, fmt.Errorf("--express-db must be sqlite or postgres, not %q", o.expressDB)
	}
	if o.duration < time.Second {
		return o, errors.New("--duration must be at least 1s")
	}
	if o.resetFlood && (o.markdown != "" || o.express != "" || o.svgOut != "") {
		return o, errors.New("--reset-flood runs alone, without --express, --markdown or --svg: its JSON goes to --json and its section of BENCHMARKS.md is written by hand")
	}
	if o.passkey && (o.resetFlood || o.markdown != "" || o.express != "" || o.svgOut != "" || o.profile != "") {
		return o, errors.New("--passkey runs alone, without --reset-flood, --express, --markdown, --svg or --profile: its JSON goes to --json and its section of BENCHMARKS.md is written by hand")
	}
	if o.passkey && o.jsonOut == "" {
		o.jsonOut = filepath.Join("bench", "passkey.json")
	}
	if !o.resetFlood && o.profile != "" {
		return o, errors.New("--profile goes with --reset-flood")
	}
	if o.markdown != "" {
		if o.jsonOut == "" {
			o.jsonOut = filepath.Join("bench", "results.json")
		}
		if o.svgOut == "" {
			o.svgOut = filepath.Join("bench", "results.svg")
		}
	}
	return o, nil
}

// hashSamples is how many Argon2id hashes the hash-bound limit is the mean of.
const hashSamples = 20

// run is the whole benchmark; whatever it started or made is undone before it returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if b, err := os.ReadFile("go.mod"); err != nil || !strings.HasPrefix(string(b), "module authme\n") {
		return errors.New("run from the repository root (bench/run.sh does)")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (apt-get install -y wrk)")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	var cl cleanups
	defer cl.run()
	tmp, err := os.MkdirTemp("", "authme-bench-")
	if err != nil {
		return err
	}
	cl.add(func() { os.RemoveAll(tmp) })

	logf("building authme and the ceiling server")
	authmeBin, ceilingBin := filepath.Join(tmp, "authme"), filepath.Join(tmp, "ceiling")
	if err := build(ctx, authmeBin, "./cmd/authme"); err != nil {
		return err
	}
	if o.passkey {
		return runPasskey(ctx, o, args, tmp, authmeBin, &cl, stdout, logf)
	}
	if o.resetFlood {
		return runResetFlood(ctx, o, args, tmp, authmeBin, &cl, stdout, logf)
	}
	if err := build(ctx, ceilingBin, "./bench/ceiling"); err != nil {
		return err
	}

	m := describeMachine(o.express != "")
	rep := &report{
		Date:     time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Command:  command(args),
		Machine:  m,
		Cores:    m.Cores,
		Database: "sqlite",
		Duration: o.duration.String(),
	}
	if o.express != "" {
		rep.ExpressDatabase = o.expressDB
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
	a := authmeRun{bin: authmeBin, dir: tmp, env: authmeEnv(tmp, o.postgres, schema)}
	logf("migrating and seeding authme's %s database", rep.Database)
	if err := a.prepare(ctx); err != nil {
		return err
	}
	logf("timing %d start-ups", startupRuns)
	runs, err := a.measureStartup(ctx)
	if err != nil {
		return err
	}
	for _, d := range runs {
		rep.StartupMs = append(rep.StartupMs, float64(d.Microseconds())/1000)
	}
	rep.StartupMedianMs = median(rep.StartupMs)

	authmeLog := filepath.Join(tmp, "authme.log")
	targets, err := startTargets(ctx, a, ceilingBin, authmeLog, o, &cl)
	if err != nil {
		return err
	}

	// The hash-bound limit is timed right before and right after authme's log-in case
	// (the mean of both), while our servers are idle: a shared machine's speed drifts
	// over a run of minutes, and the limit should describe the minutes it is compared with.
	var single, parallel []float64
	timeHashes := func() error {
		logf("timing Argon2id hashes, one at a time and %d at once", rep.Cores)
		one, err := hashTime(ctx, ceilingBin, 1)
		if err != nil {
			return err
		}
		all, err := hashTime(ctx, ceilingBin, rep.Cores)
		if err != nil {
			return err
		}
		single, parallel = append(single, one), append(parallel, all)
		return nil
	}
	s := &suite{tmp: tmp, duration: o.duration, targets: targets, aroundLogin: timeHashes}
	if err := s.run(ctx); err != nil {
		return err
	}
	rep.HashMs, rep.ParallelHashMs = mean(single), mean(parallel)
	rep.HashLimit = float64(rep.Cores) / (rep.HashMs / 1000)
	rep.Results = s.results
	rep.Goals = goals(rep)
	rep.AuthmeLog = summarizeLog(authmeLog)

	fmt.Fprintln(stdout)
	rep.writeText(stdout)
	return save(rep, o)
}

// startTargets starts authme and the ceiling (registering their stops), adds the Express
// original when given, and logs in on each as the demo user.
func startTargets(ctx context.Context, a authmeRun, ceilingBin, authmeLog string, o options, cl *cleanups) ([]*target, error) {
	ap, abase, _, err := a.start(ctx, authmeLog)
	if err != nil {
		return nil, err
	}
	cl.add(ap.stop)
	cp, cbase, err := startCeiling(ctx, ceilingBin, a.dir)
	if err != nil {
		return nil, err
	}
	cl.add(cp.stop)

	authme := &target{name: "authme", base: abase, pid: ap.pid(), proc: ap, full: true}
	ceiling := &target{name: "ceiling", base: cbase, pid: cp.pid(), proc: cp}
	targets := []*target{authme, ceiling}
	if authme.client, err = logIn(ctx, abase); err != nil {
		return nil, fmt.Errorf("log in to authme: %w", err)
	}
	// The ceiling has no log-in: it gets the token authme would issue for the same user.
	tok, err := mintToken([]byte(jwtSecret), authme.client.user)
	if err != nil {
		return nil, err
	}
	ceiling.client = client{cookies: map[string]string{"token": tok}}
	if o.express != "" {
		ex, err := expressTarget(ctx, o.express, o.expressPID)
		if err != nil {
			return nil, err
		}
		if ex.client, err = logIn(ctx, ex.base); err != nil {
			return nil, fmt.Errorf("log in to express: %w", err)
		}
		targets = append(targets, ex)
	}
	for _, t := range targets {
		if err := checkSession(ctx, t); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// build compiles a static binary, as authme ships.
func build(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// hashTime asks the ceiling binary for the mean time of one Argon2id hash, in ms, with
// parallel hashes running at once.
func hashTime(ctx context.Context, ceilingBin string, parallel int) (float64, error) {
	out, err := exec.CommandContext(ctx, ceilingBin, "-hash-bench", strconv.Itoa(hashSamples),
		"-hash-parallel", strconv.Itoa(parallel)).Output()
	if err != nil {
		return 0, fmt.Errorf("hash benchmark: %w", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// command is the command line as the user typed it: bench/run.sh passes its own.
func command(args []string) string {
	if c := os.Getenv("BENCH_COMMAND"); c != "" {
		return c
	}
	return strings.TrimSpace("go run ./bench/runner " + strings.Join(args, " "))
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// save writes the markdown, chart and JSON asked for.
func save(rep *report, o options) error {
	if o.svgOut != "" {
		if err := os.WriteFile(o.svgOut, []byte(chartSVG(rep)), 0o644); err != nil {
			return err
		}
	}
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.markdown != "" {
		svg := ""
		if o.svgOut != "" {
			absMD, _ := filepath.Abs(o.markdown)
			absSVG, _ := filepath.Abs(o.svgOut)
			svg, _ = filepath.Rel(filepath.Dir(absMD), absSVG)
		}
		if err := os.WriteFile(o.markdown, []byte(rep.markdown(svg)), 0o644); err != nil {
			return err
		}
	}
	return nil
}
