package session

import (
	"testing"
	"time"

	"authme/internal/auth"
)

var tokenBenchSecret = []byte("benchmark secret, long enough for production use!")

// BenchmarkTokenCheck is the signature, algorithm and expiry check alone.
func BenchmarkTokenCheck(b *testing.B) {
	m := NewManager(nil, tokenBenchSecret, time.Hour, time.Hour, time.Now)
	tok, _, err := m.New(auth.User{ID: 1, Username: "Demo-lition", Email: "demo@user.io"}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.parse(tok); err != nil {
			b.Fatal(err)
		}
	}
}
