package session_test

import (
	"context"
	"testing"
	"time"

	"authme/internal/session"
	"authme/internal/testdb"
)

var benchSecret = []byte("benchmark secret, long enough for production use!")

// BenchmarkRestore is a whole session restore: token check plus the one query that loads
// the session row with its user, on SQLite.
func BenchmarkRestore(b *testing.B) {
	ctx := context.Background()
	db := testdb.Targets(b)[0].Migrated(b)
	u, err := testdb.CreateUser(ctx, db, "Demo-lition", "demo@user.io", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	if err != nil {
		b.Fatal(err)
	}
	m := session.NewManager(db, benchSecret, time.Hour, time.Hour, time.Now)
	tok := testdb.StartSession(b, db, m, u, "bench")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Restore(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
