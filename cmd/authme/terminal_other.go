//go:build !linux

package main

import (
	"io"
	"os"
)

// isTerminal reports whether r is a terminal a person types at: a character device
// other than the null device.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// withoutEcho runs fn; on this system the password typed is shown (pipe it in instead).
func withoutEcho(_ io.Reader, fn func() error) error { return fn() }
