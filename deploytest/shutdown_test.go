package deploytest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// shutdownTimeout is cmd/authme's ShutdownTimeout: how long SIGTERM lets requests finish.
const shutdownTimeout = 10 * time.Second

// TestGracefulShutdownUnderLoad sends SIGTERM while 20 keep-alive clients read their
// session and log in, and while one request is half-sent. Every request the server
// accepted gets a whole answer below 500, the half-sent one included; requests after the
// listener closed are refused; the process exits 0 within the shutdown timeout.
//
// A client error is judged by the server's own log: a request whose id is logged was
// accepted, so an error on it (a reset or EOF mid-request) is a failure; an error on a
// request the server never logged means it never read it: refused connections, and the
// race in which Shutdown closes an idle keep-alive connection just as the client reuses
// it. Go's client retries that race itself for GETs, not for POSTs; both are counted
// apart and reported.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	dbURL := sharedPostgres(t)
	schema := freshSchema(t, dbURL)
	env := prodEnv(dbURL, schema, newSecret(), "LOGIN_RATE_PER_MINUTE", "0")
	mustRun(t, env, "migrate")
	mustRun(t, env, "seed")
	node := startAuthme(t, "authme", env, "serve")
	hc := &http.Client{Transport: newTransport(), Timeout: 15 * time.Second}

	reader := newBrowser(hc)
	reader.Restore(t, node.URL)
	reader.Must(t, 200, "POST", node.URL+"/api/session", login("Demo-lition", "password"))

	type result struct {
		kind       string
		id         string
		start, end time.Time
		status     int
		body       string
		err        error
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	const workers, loginWorkers = 20, 3
	loadStart := time.Now()
	for w := range workers {
		b := reader.Clone()
		kind := "GET /api/session"
		if w < loginWorkers {
			b = newBrowser(hc)
			b.Restore(t, node.URL)
			kind = "POST /api/session"
		}
		wg.Go(func() {
			for time.Since(loadStart) < 2500*time.Millisecond {
				res := result{kind: kind, start: time.Now()}
				var r *reply
				if kind == "GET /api/session" {
					r, res.err = b.Do("GET", node.URL+"/api/session", nil)
				} else {
					r, res.err = b.Do("POST", node.URL+"/api/session", login("Demo-lition", "password"))
				}
				res.end, res.id = time.Now(), r.RequestID
				if res.err == nil {
					res.status, res.body = r.Status, string(r.Body)
				}
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
				if res.err != nil {
					time.Sleep(50 * time.Millisecond) // refused: do not spin
				}
			}
		})
	}

	// A log-in whose headers and half its body are sent before SIGTERM, the rest a
	// second after: an accepted request the shutdown has to wait for.
	time.Sleep(800 * time.Millisecond)
	slow := newBrowser(hc)
	slow.Restore(t, node.URL)
	body := `{"credential":"Demo-lition","password":"password"}`
	req, err := slow.NewRequest("POST", node.URL+"/api/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	addr := strings.TrimPrefix(node.URL, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/session HTTP/1.1\r\nHost: %s\r\n", addr)
	req.Header.Write(conn)                          //nolint:errcheck // a failed write fails the read below
	io.WriteString(conn, "\r\n"+body[:len(body)/2]) //nolint:errcheck
	time.Sleep(200 * time.Millisecond)

	node.Terminate()
	sigAt := time.Now()
	slowDone := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		if _, err := io.WriteString(conn, body[len(body)/2:]); err != nil {
			slowDone <- fmt.Errorf("finish the body: %w", err)
			return
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
		res, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			slowDone <- fmt.Errorf("read the answer: %w", err)
			return
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			slowDone <- fmt.Errorf("status %d, want 200", res.StatusCode)
			return
		}
		slowDone <- nil
	}()

	code, exited := node.Wait(shutdownTimeout + 2*time.Second)
	exitAfter := time.Since(sigAt)
	wg.Wait()
	if err := <-slowDone; err != nil {
		t.Errorf("the request half-sent at SIGTERM: %v", err)
	}
	if !exited {
		t.Fatalf("authme still running %v after SIGTERM", exitAfter.Round(time.Millisecond))
	}
	if code != 0 {
		t.Errorf("authme exited with status %d after SIGTERM, want 0\nstderr:\n%s", code, node.stderr)
	}
	if exitAfter > shutdownTimeout {
		t.Errorf("authme took %v to exit after SIGTERM, more than the %v shutdown timeout", exitAfter, shutdownTimeout)
	}

	logged := map[string]bool{}
	for _, e := range node.LogEntries() {
		if e["msg"] == "request" {
			id, _ := e["request_id"].(string)
			logged[id] = true
		}
	}
	var answered, answeredAfter, refused, failures int
	statuses := map[int]int{}
	neverAccepted := map[string]int{}
	for _, r := range results {
		switch {
		case r.err == nil:
			answered++
			statuses[r.status]++
			if r.end.After(sigAt) {
				answeredAfter++
			}
			if r.status >= 500 {
				failures++
				t.Errorf("%s (%s) = %d %s during shutdown", r.kind, r.id, r.status, r.body)
			}
			if r.kind == "GET /api/session" && r.status == 200 && !strings.Contains(r.body, `"Demo-lition"`) {
				failures++
				t.Errorf("%s (%s) = %s, want the logged-in user", r.kind, r.id, r.body)
			}
		case errors.Is(r.err, syscall.ECONNREFUSED):
			refused++
		case logged[r.id]:
			failures++
			t.Errorf("%s (%s) was accepted (it is in the server's log) but the client got %v", r.kind, r.id, r.err)
		default:
			neverAccepted[r.kind+": "+shortError(r.err)]++
		}
	}
	t.Logf("%d requests from %d keep-alive clients; SIGTERM %v into the load; exit status %d %v after SIGTERM",
		len(results), workers, sigAt.Sub(loadStart).Round(time.Millisecond), code, exitAfter.Round(time.Millisecond))
	t.Logf("answered %d (%v), %d of them after SIGTERM; refused after the listener closed %d; failures %d",
		answered, statuses, answeredAfter, refused, failures)
	if len(neverAccepted) > 0 {
		t.Logf("client errors on requests the server never read (not in its log): %v", neverAccepted)
	} else {
		t.Logf("no client errors on requests the server never read")
	}
	if answeredAfter == 0 {
		t.Error("no request was answered after SIGTERM: the test did not catch the server draining")
	}
	log := node.stdout.String()
	if !strings.Contains(log, "shutting down: finishing in-flight requests") || !strings.Contains(log, `"msg":"stopped"`) {
		t.Errorf("the log lacks the shutdown lines")
	}
}

// shortError is an error's last part: "connection reset by peer", "EOF", …
func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
