package store_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// eventsTestAt is a whole millisecond, as events are stored.
var eventsTestAt = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// migratedWithLog opens a migrated database whose event log lines go to the buffer.
func migratedWithLog(t *testing.T, tg testdb.Target) (*store.DB, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	o := tg.Options(t)
	o.EventLog = slog.New(slog.NewJSONHandler(logs, nil))
	db := testdb.OpenWith(t, o)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db, logs
}

func mustRecord(t *testing.T, db *store.DB, e events.Event) {
	t.Helper()
	if err := db.RecordEvent(context.Background(), e); err != nil {
		t.Fatalf("RecordEvent(%s): %v", e.Kind, err)
	}
}

func mustList(t *testing.T, db *store.DB, userID, before int64, limit int) []events.Event {
	t.Helper()
	list, err := db.ListEvents(context.Background(), userID, before, limit)
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	return list
}

func kinds(list []events.Event) string {
	var k []string
	for _, e := range list {
		k = append(k, e.Kind)
	}
	return strings.Join(k, ",")
}

func TestEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("RecordAndListNewestFirstWithCursor", func(t *testing.T) {
			t.Parallel()
			db, logs := migratedWithLog(t, tg)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			other := mustCreateUser(t, db, "bob", "bob@x.io")
			o := events.Origin{Address: "203.0.113.7", UserAgent: "Mozilla/5.0", SessionID: "2fvhx462GtDs-B2nTkU6XDEX"}
			for i, k := range []string{events.Signup, events.Login, events.Logout, events.Login, events.PasswordChanged} {
				mustRecord(t, db, o.Event(u.ID, k, eventsTestAt.Add(time.Duration(i)*time.Second)))
			}
			ended := o.Event(u.ID, events.SessionsEnded, eventsTestAt.Add(time.Minute))
			ended.Detail = map[string]string{events.DetailWhich: events.WhichOthers, events.DetailCount: "2"}
			mustRecord(t, db, ended)
			mustRecord(t, db, o.Event(other.ID, events.Login, eventsTestAt))

			first := mustList(t, db, u.ID, 0, 4)
			if got := kinds(first); got != "sessions-ended,password-changed,login,logout" {
				t.Fatalf("first page %s, want the newest four, newest first", got)
			}
			rest := mustList(t, db, u.ID, first[3].ID, 4)
			if got := kinds(rest); got != "login,signup" {
				t.Fatalf("second page %s, want the two oldest", got)
			}
			e := first[0]
			if e.UserID != u.ID || !e.At.Equal(eventsTestAt.Add(time.Minute)) || e.Address != o.Address || e.UserAgent != o.UserAgent ||
				e.SessionID != o.SessionID || e.Count != 1 || e.Detail[events.DetailWhich] != events.WhichOthers || e.Detail[events.DetailCount] != "2" {
				t.Errorf("read back %+v, want what was recorded", e)
			}
			if first[1].Detail == nil || len(first[1].Detail) != 0 {
				t.Errorf("an event without detail reads back %v, want an empty map", first[1].Detail)
			}
			if got := logs.String(); strings.Count(got, `"msg":"security event"`) != 7 || !strings.Contains(got, `"kind":"sessions-ended"`) {
				t.Errorf("log lines:\n%s\nwant one per event", got)
			}
		})

		t.Run("AnEventCommitsWithItsTransactionOrNotAtAll", func(t *testing.T) {
			t.Parallel()
			db, logs := migratedWithLog(t, tg)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			refused := errors.New("the step failed")
			err := db.InTx(ctx, func(tx login.Tx) error {
				if err := tx.RecordEvent(ctx, events.Event{UserID: u.ID, Kind: events.PasswordChanged, At: eventsTestAt}); err != nil {
					return err
				}
				return refused
			})
			if !errors.Is(err, refused) {
				t.Fatalf("InTx = %v, want the step's error", err)
			}
			if list := mustList(t, db, u.ID, 0, 10); len(list) != 0 || logs.String() != "" {
				t.Fatalf("a rolled-back event is kept (%d) or logged (%q)", len(list), logs.String())
			}
			if err := db.InTx(ctx, func(tx login.Tx) error {
				return tx.RecordEvent(ctx, events.Event{UserID: u.ID, Kind: events.PasswordChanged, At: eventsTestAt})
			}); err != nil {
				t.Fatal(err)
			}
			if list := mustList(t, db, u.ID, 0, 10); kinds(list) != "password-changed" || !strings.Contains(logs.String(), "password-changed") {
				t.Errorf("committed event: listed %s, logged %q", kinds(list), logs.String())
			}
			if db.EventsRecorded() != 1 {
				t.Errorf("EventsRecorded = %d, want 1", db.EventsRecorded())
			}
		})

		t.Run("AggregatedRowsAddUpPerMinuteAndAddress", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			add := func(kind, addr string, at time.Time, n int) {
				t.Helper()
				if err := db.RecordAggregated(ctx, events.Event{UserID: u.ID, Kind: kind, Address: addr, At: at, Count: n}); err != nil {
					t.Fatalf("RecordAggregated: %v", err)
				}
			}
			add(events.LoginFailed, "10.0.0.1", eventsTestAt, 3)
			add(events.LoginFailed, "10.0.0.1", eventsTestAt, 2) // another flush, or another instance
			add(events.LoginFailed, "10.0.0.2", eventsTestAt, 1)
			add(events.LoginFailed, "10.0.0.1", eventsTestAt.Add(time.Minute), 1)
			add(events.LoginThrottled, "10.0.0.1", eventsTestAt, 4)
			counts := map[string]int{}
			for _, e := range mustList(t, db, u.ID, 0, 10) {
				counts[e.Kind+" "+e.Address+" "+e.At.UTC().Format("15:04")] += e.Count
				if e.Count > 0 && counts[e.Kind+" "+e.Address+" "+e.At.UTC().Format("15:04")] != e.Count {
					t.Errorf("two rows for %s %s at %v", e.Kind, e.Address, e.At)
				}
			}
			want := map[string]int{"login-failed 10.0.0.1 12:00": 5, "login-failed 10.0.0.2 12:00": 1,
				"login-failed 10.0.0.1 12:01": 1, "login-throttled 10.0.0.1 12:00": 4}
			if len(counts) != len(want) {
				t.Errorf("rows %v, want %v", counts, want)
			}
			for k, n := range want {
				if counts[k] != n {
					t.Errorf("row %s counts %d, want %d", k, counts[k], n)
				}
			}
			if err := db.RecordAggregated(ctx, events.Event{UserID: u.ID, Kind: events.Login, At: eventsTestAt}); err == nil {
				t.Error("RecordAggregated took a log-in, want an error: only failures are aggregated")
			}
		})

		t.Run("PurgeRemovesOnlyOlderEvents", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			mustRecord(t, db, events.Event{UserID: u.ID, Kind: events.Signup, At: eventsTestAt.Add(-91 * 24 * time.Hour)})
			mustRecord(t, db, events.Event{UserID: u.ID, Kind: events.Login, At: eventsTestAt.Add(-89 * 24 * time.Hour)})
			n, err := db.PurgeEvents(ctx, eventsTestAt.Add(-90*24*time.Hour))
			if err != nil || n != 1 {
				t.Fatalf("PurgeEvents = %d, %v; want 1", n, err)
			}
			if got := kinds(mustList(t, db, u.ID, 0, 10)); got != "login" {
				t.Errorf("left %s, want the newer event", got)
			}
		})

		t.Run("DeletingTheUserDeletesTheirEvents", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			mustRecord(t, db, events.Event{UserID: u.ID, Kind: events.Signup, At: eventsTestAt})
			if _, err := db.SQL().ExecContext(ctx, `DELETE FROM "Users" WHERE "id" = $1`, u.ID); err != nil {
				t.Fatalf("delete user: %v", err)
			}
			var n int
			if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM "SecurityEvents"`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d events left (%v), want none", n, err)
			}
		})

		t.Run("FieldsAreBoundedToTheColumns", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			mustRecord(t, db, events.Event{UserID: u.ID, Kind: events.Login, At: eventsTestAt,
				Address: "10.0.0.1\x00", UserAgent: strings.Repeat("é", 400) + "\xff", SessionID: strings.Repeat("s", 100)})
			e := mustList(t, db, u.ID, 0, 1)[0]
			if e.Address != "10.0.0.1" || len(e.UserAgent) > events.MaxUserAgent || len(e.SessionID) != events.MaxSessionID {
				t.Errorf("stored address %q, user agent of %d bytes, session id of %d", e.Address, len(e.UserAgent), len(e.SessionID))
			}
		})

		t.Run("EndingSessionsRecordsTheEventWithThem", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "ann", "ann@x.io")
			for _, id := range []string{"a", "b", "c"} {
				mustCreateSession(t, db, liveSession(id, u.ID))
			}
			o := events.Origin{Address: "10.0.0.1", SessionID: "a"}
			if ok, err := db.DeleteUserSession(ctx, u.ID, "missing", o.Event(u.ID, events.SessionsEnded, eventsTestAt)); err != nil || ok {
				t.Fatalf("DeleteUserSession(missing) = %v, %v", ok, err)
			}
			if n, err := db.DeleteOtherSessions(ctx, u.ID, "a", events.Event{UserID: u.ID, Kind: events.SessionsEnded, At: eventsTestAt,
				Detail: map[string]string{events.DetailWhich: events.WhichOthers}}); err != nil || n != 2 {
				t.Fatalf("DeleteOtherSessions = %d, %v; want 2", n, err)
			}
			if n, err := db.DeleteOtherSessions(ctx, u.ID, "a", events.Event{UserID: u.ID, Kind: events.SessionsEnded, At: eventsTestAt}); err != nil || n != 0 {
				t.Fatalf("DeleteOtherSessions again = %d, %v; want 0", n, err)
			}
			if err := db.DeleteSession(ctx, "a", o.Event(u.ID, events.Logout, eventsTestAt)); err != nil {
				t.Fatal(err)
			}
			list := mustList(t, db, u.ID, 0, 10)
			if kinds(list) != "logout,sessions-ended" || list[1].Detail[events.DetailCount] != "2" || list[1].Detail[events.DetailWhich] != events.WhichOthers {
				t.Errorf("events %s %+v, want one log-out and one sessions-ended of 2 (nothing for what ended nothing)", kinds(list), list)
			}
		})
	})
}
