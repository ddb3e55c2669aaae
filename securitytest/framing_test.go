package securitytest

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"
)

// TestChunkedBodiesAreRefused: a request whose body is framed by Transfer-Encoding,
// with or without a Content-Length beside it (the ingredients of request smuggling), is
// answered 411 with a JSON body and Connection: close, and the connection is closed
// after that one answer, so nothing sent behind it is read as a request.
func TestChunkedBodiesAreRefused(t *testing.T) {
	db := testdb.Targets(t)[0].Migrated(t)
	seed(t, db)
	a := start(t, db, options{})
	addr := strings.TrimPrefix(a.URL, "http://")
	// A request for /hello/world hidden behind each body: were it read, a second answer
	// would follow.
	const smuggled = "GET /hello/world HTTP/1.1\r\nHost: authme\r\n\r\n"
	login := `{"credential":"Demo-lition","password":"password"}`
	cases := []struct {
		name, req string
	}{
		{"ContentLengthAndChunked", "POST /api/session HTTP/1.1\r\nHost: authme\r\nContent-Type: application/json\r\n" +
			"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
		{"ChunkedThenContentLength", "POST /api/session HTTP/1.1\r\nHost: authme\r\nContent-Type: application/json\r\n" +
			"Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n" + smuggled},
		{"ChunkedAlone", "POST /api/session HTTP/1.1\r\nHost: authme\r\nContent-Type: application/json\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n" + chunk(login) + "0\r\n\r\n" + smuggled},
		{"ChunkedGET", "GET /api/session HTTP/1.1\r\nHost: authme\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // the reads fail instead
			if _, err := io.WriteString(conn, tc.req); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("read the answer: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusLengthRequired {
				t.Errorf("status %d, want 411: %s", res.StatusCode, body)
			}
			if !res.Close { // ReadResponse turns Connection: close into Close
				t.Error("no Connection: close on the answer")
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil || m["message"] != "Length Required" {
				t.Errorf("body %q, want JSON with message Length Required", body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if rest, err := io.ReadAll(br); err != nil && !errors.Is(err, io.EOF) {
				t.Errorf("after the answer: %v, want the connection closed", err)
			} else if len(rest) > 0 {
				t.Errorf("a second answer followed, so the hidden request was read: %q", rest)
			}
		})
	}

	t.Run("ContentLengthStillWorksOnAKeptConnection", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // the reads fail instead
		req := "POST /api/session HTTP/1.1\r\nHost: authme\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" + smuggled
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		for i, want := range []int{http.StatusForbidden, http.StatusOK} { // no CSRF token; then hello
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("answer %d: %v", i+1, err)
			}
			io.Copy(io.Discard, res.Body) //nolint:errcheck
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("answer %d: status %d, want %d", i+1, res.StatusCode, want)
			}
		}
	})
}

// chunk frames s as one chunk of a chunked body.
func chunk(s string) string {
	return strconv.FormatInt(int64(len(s)), 16) + "\r\n" + s + "\r\n"
}
