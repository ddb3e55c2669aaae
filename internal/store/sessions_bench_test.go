package store_test

import (
	"context"
	"testing"

	"authme/internal/store"
	"authme/internal/testdb"
)

// BenchmarkSessionUser is one session restore, the query on every request with a
// session, on each database (and through batched restores on PostgreSQL): one caller at
// a time, and GOMAXPROCS×8 callers at once.
func BenchmarkSessionUser(b *testing.B) {
	for _, tg := range testdb.Targets(b) {
		b.Run(tg.Dialect, func(b *testing.B) {
			ctx := context.Background()
			db := tg.Migrated(b)
			u, err := testdb.CreateUser(ctx, db, "Demo-lition", "demo@user.io", fakeHash)
			if err != nil {
				b.Fatal(err)
			}
			if err := testdb.InsertSession(ctx, db, liveSession("bench", u.ID)); err != nil {
				b.Fatal(err)
			}
			b.Run("plain", func(b *testing.B) { benchRestores(b, db) })
			if db.Dialect() != "postgres" {
				return
			}
			br, err := store.BatchRestores(db)
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			b.Run("batched", func(b *testing.B) { benchRestores(b, br) })
		})
	}
}

// benchRestores restores the session "bench" through st.
func benchRestores(b *testing.B, st sessionUserer) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := st.SessionUser(ctx, "bench", now, idleSince); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := st.SessionUser(ctx, "bench", now, idleSince); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
