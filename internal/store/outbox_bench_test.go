package store_test

import (
	"context"
	"testing"
	"time"

	"authme/internal/outbox"
	"authme/internal/store"
	"authme/internal/testdb"
)

// BenchmarkEnqueue is what a password-reset request writes, the same whether the address
// has an account or not: one outbox row, on each database, by one caller at a time and by
// GOMAXPROCS×8 callers at once (a flood of requests). rows/op shows it is one insert each.
func BenchmarkEnqueue(b *testing.B) {
	for _, tg := range testdb.Targets(b) {
		b.Run(tg.Dialect, func(b *testing.B) {
			db := tg.Migrated(b)
			b.Run("serial", func(b *testing.B) {
				benchEnqueue(b, db, func(run func()) {
					for b.Loop() {
						run()
					}
				})
			})
			b.Run("parallel", func(b *testing.B) {
				b.SetParallelism(8)
				benchEnqueue(b, db, func(run func()) {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							run()
						}
					})
				})
			})
		})
	}
}

// benchEnqueue times loop, which calls run once per operation, and reports the rows written
// per operation.
func benchEnqueue(b *testing.B, db *store.DB, loop func(run func())) {
	ctx := context.Background()
	before := countOutbox(b, db)
	j := outbox.Job{
		Kind:      "password-reset",
		Email:     "someone@example.com",
		CreatedAt: time.Now(),
		Data: map[string]string{
			"ip":      "203.0.113.7",
			"browser": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
			"time":    "2026-12-02T02:00:00Z",
		},
	}
	b.ReportAllocs()
	b.ResetTimer()
	loop(func() {
		if err := db.Enqueue(ctx, j); err != nil {
			b.Error(err)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(countOutbox(b, db)-before)/float64(b.N), "rows/op")
}

func countOutbox(b *testing.B, db *store.DB) int64 {
	b.Helper()
	var n int64
	if err := db.SQL().QueryRow(`SELECT count(*) FROM "Outbox"`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
