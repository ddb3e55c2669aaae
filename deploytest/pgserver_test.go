package deploytest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// pgServer is a PostgreSQL server the test owns: its own data folder and port, so the
// test can stop and start it without disturbing the shared server.
type pgServer struct {
	t       *testing.T
	bin     string // folder holding initdb and pg_ctl
	data    string
	sock    string
	logFile string
	port    int
	asUser  string // run the binaries as this OS user ("" for ourselves)
}

// URL is the server's connection URL (database postgres, trust authentication).
func (p *pgServer) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// startOwnPostgres initialises a fresh cluster in t.TempDir() and starts it on a free
// port; the test's end stops it. It skips (fails in CI) when the server binaries are
// missing.
func startOwnPostgres(t *testing.T) *pgServer {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(found) == 0 {
		needPostgres(t, "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
	}
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) < pgVersion(found[j]) })
	p := &pgServer{t: t, bin: filepath.Dir(found[len(found)-1])}

	root := t.TempDir()
	p.data, p.sock, p.logFile = filepath.Join(root, "data"), filepath.Join(root, "sock"), filepath.Join(root, "postgres.log")
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the server as the postgres OS user, which
		// must be able to reach the folders the testing package made private.
		pgUser, err := user.Lookup("postgres")
		if err != nil {
			needPostgres(t, "running as root and there is no postgres OS user to run initdb as")
		}
		p.asUser = "postgres"
		uid, _ := strconv.Atoi(pgUser.Uid)
		gid, _ := strconv.Atoi(pgUser.Gid)
		for _, d := range []string{filepath.Dir(root), root} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	p.run("initdb", "-D", p.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	p.run("mkdir", "-p", p.sock)
	p.port = freePort(t)
	p.Start()
	t.Cleanup(func() {
		// Best effort: the test may have left it stopped.
		p.command(filepath.Join(p.bin, "pg_ctl"), "-D", p.data, "-m", "immediate", "-w", "-t", "30", "stop").Run() //nolint:errcheck
	})
	return p
}

// pgVersion reads the major version from /usr/lib/postgresql/<v>/bin/pg_ctl.
func pgVersion(pgCtl string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgCtl))))
	return v
}

// Start starts the server and waits until it accepts connections.
func (p *pgServer) Start() {
	p.t.Helper()
	p.run("pg_ctl", "-D", p.data, "-l", p.logFile, "-w", "-t", "60",
		"-o", fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1", p.sock, p.port), "start")
}

// Stop stops the server: mode "fast" (roll back and disconnect every session) or
// "immediate" (abort, as a crash would; recovery runs at the next start).
func (p *pgServer) Stop(mode string) {
	p.t.Helper()
	p.run("pg_ctl", "-D", p.data, "-m", mode, "-w", "-t", "60", "stop")
}

func (p *pgServer) command(name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if p.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.asUser, "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	// pg_ctl's server keeps running after pg_ctl exits; it writes to the log file, but
	// never let a stray inherited pipe keep Wait waiting.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (p *pgServer) run(name string, args ...string) {
	p.t.Helper()
	if name == "initdb" || name == "pg_ctl" {
		name = filepath.Join(p.bin, name)
	}
	out, err := p.command(name, args...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(p.logFile)
		p.t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", filepath.Base(name), args, err, out, log)
	}
}

// freePort finds a TCP port on 127.0.0.1 nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
