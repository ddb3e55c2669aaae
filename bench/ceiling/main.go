// Command ceiling is the benchmark's upper bound: the two cheapest routes authme serves,
// written with nothing but the standard library and the JWT module authme uses. It has no
// middleware, no database and no CSRF, so authme/ceiling says what authme's layers cost.
//
// It also times one Argon2id hash with authme's parameters (-hash-bench N), which sets the
// most log-ins a machine can do: cores ÷ time of one hash.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authme/internal/password"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	hashes := flag.Int("hash-bench", 0, "time this many Argon2id hashes, print the mean ms per hash and exit")
	parallel := flag.Int("hash-parallel", 1, "with -hash-bench: hash on this many goroutines at once, each -hash-bench times")
	flag.Parse()

	if *hashes > 0 {
		ms, err := hashBench(*hashes, max(*parallel, 1))
		if err != nil {
			fmt.Fprintln(os.Stderr, "ceiling:", err)
			os.Exit(1)
		}
		fmt.Printf("%.3f\n", ms)
		return
	}
	secret := os.Getenv("JWT_SECRET")
	if len(secret) < 32 {
		fmt.Fprintln(os.Stderr, "ceiling: JWT_SECRET of at least 32 bytes is required")
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr, []byte(secret)); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// hashBench returns the mean wall time of one Argon2id hash, in milliseconds, with
// parallel goroutines hashing at once. With one, that is the time one core needs for one
// log-in; with one per core it shows how well hashing scales (memory bandwidth, shared
// caches, noisy neighbours).
func hashBench(n, parallel int) (float64, error) {
	h := password.NewArgon2id(password.OWASP)
	if _, err := h.Hash("warm-up password"); err != nil { // first use allocates the memory
		return 0, err
	}
	errs := make(chan error, parallel)
	start := time.Now()
	for range parallel {
		go func() {
			for range n {
				if _, err := h.Hash("correct horse battery staple"); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range parallel {
		if err := <-errs; err != nil {
			return 0, err
		}
	}
	return float64(time.Since(start).Microseconds()) / 1000 / float64(n), nil
}

// user is the token's data claim, as authme and the Express app write it.
type user struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

type claims struct {
	Data user `json:"data"`
	jwt.RegisteredClaims
}

func serve(ctx context.Context, addr string, secret []byte) error {
	// The same checks authme makes on a token, so the comparison is of everything else.
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(), jwt.WithStrictDecoding())
	keyFunc := func(*jwt.Token) (any, error) { return secret, nil }

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/world", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello World!") //nolint:errcheck // the client went away
	})
	mux.HandleFunc("GET /api/session", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			User *user `json:"user"`
		}
		if c, err := r.Cookie("token"); err == nil {
			var cl claims
			if _, err := parser.ParseWithClaims(c.Value, &cl, keyFunc); err == nil {
				body.User = &cl.Data
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body) //nolint:errcheck // the client went away
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// The runner reads the port from this line.
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
