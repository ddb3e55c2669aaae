package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
)

// now is the tests' fixed clock; idleSince is 24 hours before it.
var (
	now       = time.Unix(1_800_000_000, 0)
	idleSince = now.Add(-24 * time.Hour)
)

// liveSession returns a session of userID that is live at now.
func liveSession(id string, userID int64) session.Session {
	return session.Session{
		ID: id, UserID: userID, UserAgent: "Mozilla/5.0 (test)",
		CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour), LastSeenAt: now.Add(-time.Minute),
	}
}

func mustCreateSession(t *testing.T, db *store.DB, s session.Session) {
	t.Helper()
	if err := testdb.InsertSession(context.Background(), db, s); err != nil {
		t.Fatalf("CreateSession(%s): %v", s.ID, err)
	}
}

// sessionLive reports whether SessionUser finds id at now, failing on other errors.
func sessionLive(t *testing.T, db *store.DB, id string) bool {
	t.Helper()
	_, _, err := db.SessionUser(context.Background(), id, now, idleSince)
	if errors.Is(err, auth.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("SessionUser(%s): %v", id, err)
	}
	return true
}

func sessionRows(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM "Sessions"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("CreateThenLoadWithUser", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			want := liveSession("s1", u.ID)
			mustCreateSession(t, db, want)
			gotU, got, err := db.SessionUser(ctx, "s1", now, idleSince)
			if err != nil {
				t.Fatalf("SessionUser: %v", err)
			}
			if gotU != u {
				t.Errorf("SessionUser user = %+v, want %+v", gotU, u)
			}
			// A restore reads only what it needs: the id, the user and "last seen".
			if got.ID != want.ID || got.UserID != u.ID || !got.LastSeenAt.Equal(want.LastSeenAt) {
				t.Errorf("SessionUser session = %+v, want %+v", got, want)
			}
		})

		t.Run("UnknownIsNotFound", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			if sessionLive(t, db, "no-such-session") {
				t.Error("an unknown session was found")
			}
		})

		t.Run("ExpiredIsNotReturned", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			last := liveSession("last-second", u.ID)
			last.ExpiresAt = now.Add(time.Second)
			expired := liveSession("expired-now", u.ID)
			expired.ExpiresAt = now
			old := liveSession("expired-long-ago", u.ID)
			old.ExpiresAt = now.Add(-7 * 24 * time.Hour)
			for _, s := range []session.Session{last, expired, old} {
				mustCreateSession(t, db, s)
			}
			if !sessionLive(t, db, last.ID) {
				t.Error("a session expiring in a second is not live")
			}
			if sessionLive(t, db, expired.ID) || sessionLive(t, db, old.ID) {
				t.Error("an expired session was returned")
			}
		})

		t.Run("IdleIsNotReturnedUntilTouched", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			s := liveSession("idle", u.ID)
			s.LastSeenAt = idleSince
			mustCreateSession(t, db, s)
			if sessionLive(t, db, s.ID) {
				t.Error("an idle session was returned")
			}
			if err := db.TouchSession(ctx, s.ID, now); err != nil {
				t.Fatalf("TouchSession: %v", err)
			}
			_, got, err := db.SessionUser(ctx, s.ID, now, idleSince)
			if err != nil || !got.LastSeenAt.Equal(now) {
				t.Errorf("after TouchSession: LastSeenAt %v, %v; want %v", got.LastSeenAt, err, now)
			}
		})

		t.Run("DeleteEndsSession", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			mustCreateSession(t, db, liveSession("gone", u.ID))
			mustCreateSession(t, db, liveSession("kept", u.ID))
			if err := db.DeleteSession(ctx, "gone", events.Event{}); err != nil {
				t.Fatalf("DeleteSession: %v", err)
			}
			if sessionLive(t, db, "gone") {
				t.Error("a deleted session is still live")
			}
			if !sessionLive(t, db, "kept") {
				t.Error("deleting one session ended another")
			}
			if err := db.DeleteSession(ctx, "gone", events.Event{}); err != nil {
				t.Errorf("deleting a deleted session = %v, want nil", err)
			}
		})

		t.Run("PurgeRemovesExpiredAndIdleOnly", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			live := liveSession("live", u.ID)
			expired := liveSession("expired", u.ID)
			expired.ExpiresAt = now
			idle := liveSession("idle", u.ID)
			idle.LastSeenAt = idleSince.Add(-time.Second)
			for _, s := range []session.Session{live, expired, idle} {
				mustCreateSession(t, db, s)
			}
			n, err := db.PurgeExpiredSessions(ctx, now, idleSince)
			if err != nil || n != 2 {
				t.Fatalf("PurgeExpiredSessions = %d, %v; want 2", n, err)
			}
			if rows := sessionRows(t, db); rows != 1 || !sessionLive(t, db, "live") {
				t.Errorf("after purge: %d rows, live session found %v; want only the live one", rows, sessionLive(t, db, "live"))
			}
			if n, err := db.PurgeExpiredSessions(ctx, now, idleSince); err != nil || n != 0 {
				t.Errorf("second purge = %d, %v; want 0", n, err)
			}
		})

		t.Run("DeletingUserCascadesToSessions", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			other := mustCreateUser(t, db, "FakeUser1", "user1@user.io")
			mustCreateSession(t, db, liveSession("a", u.ID))
			mustCreateSession(t, db, liveSession("b", u.ID))
			mustCreateSession(t, db, liveSession("c", other.ID))
			if _, err := db.SQL().Exec(`DELETE FROM "Users" WHERE "id" = $1`, u.ID); err != nil {
				t.Fatalf("delete user: %v", err)
			}
			if sessionLive(t, db, "a") || sessionLive(t, db, "b") {
				t.Error("a deleted user's session is still live")
			}
			if rows := sessionRows(t, db); rows != 1 || !sessionLive(t, db, "c") {
				t.Errorf("%d session rows left, want only the other user's", rows)
			}
		})

		t.Run("SessionOfUnknownUserIsRefused", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			if err := testdb.InsertSession(ctx, db, liveSession("orphan", 12345)); err == nil {
				t.Error("CreateSession for a user that does not exist = nil, want an error")
			}
			if rows := sessionRows(t, db); rows != 0 {
				t.Errorf("%d session rows, want 0", rows)
			}
		})

		t.Run("DuplicateIDIsRefused", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			mustCreateSession(t, db, liveSession("dup", u.ID))
			if err := testdb.InsertSession(ctx, db, liveSession("dup", u.ID)); err == nil {
				t.Error("a second session with the same id = nil, want an error")
			}
		})

		t.Run("UserSessionsAndSelectiveDeletes", func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			other := mustCreateUser(t, db, "FakeUser1", "user1@user.io")
			older := liveSession("older", u.ID)
			older.CreatedAt = now.Add(-2 * time.Hour)
			newer := liveSession("newer", u.ID)
			expired := liveSession("expired", u.ID)
			expired.ExpiresAt = now
			for _, s := range []session.Session{older, newer, expired, liveSession("others", other.ID)} {
				mustCreateSession(t, db, s)
			}
			got, err := db.UserSessions(ctx, u.ID, now, idleSince)
			if err != nil || len(got) != 2 || got[0].ID != "newer" || got[1].ID != "older" {
				t.Fatalf("UserSessions = %+v, %v; want newer then older", got, err)
			}
			if ok, err := db.DeleteUserSession(ctx, u.ID, "others", events.Event{}); err != nil || ok {
				t.Errorf("DeleteUserSession(another user's session) = %v, %v; want false", ok, err)
			}
			if !sessionLive(t, db, "others") {
				t.Error("a user ended another user's session")
			}
			if ok, err := db.DeleteUserSession(ctx, u.ID, "older", events.Event{}); err != nil || !ok {
				t.Errorf("DeleteUserSession(own) = %v, %v; want true", ok, err)
			}
			mustCreateSession(t, db, liveSession("third", u.ID))
			if n, err := db.DeleteOtherSessions(ctx, u.ID, "newer", events.Event{}); err != nil || n != 2 {
				t.Errorf("DeleteOtherSessions = %d, %v; want 2 (third and expired)", n, err)
			}
			if !sessionLive(t, db, "newer") || !sessionLive(t, db, "others") || sessionLive(t, db, "third") {
				t.Error("DeleteOtherSessions ended the wrong sessions")
			}
		})

		t.Run("PasswordChangeTransactionIsAllOrNothing", func(t *testing.T) {
			// What login.ChangePassword writes: the hash, the end of every session of
			// the user, the new session; committed together or not at all.
			t.Parallel()
			db := tg.Migrated(t)
			u := mustCreateUser(t, db, "Demo-lition", "demo@user.io")
			other := mustCreateUser(t, db, "FakeUser1", "user1@user.io")
			mustCreateSession(t, db, liveSession("phone", u.ID))
			mustCreateSession(t, db, liveSession("laptop", u.ID))
			mustCreateSession(t, db, liveSession("others", other.ID))
			change := func(hash string, replacement session.Session) error {
				return db.InTx(ctx, func(tx login.Tx) error {
					if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
						return err
					}
					if err := tx.EndUserSessions(ctx, u.ID); err != nil {
						return err
					}
					return tx.InsertSession(ctx, replacement)
				})
			}
			const newHash = "$argon2id$v=19$m=1024,t=1,p=1$bmV3c2FsdG5ld3NhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
			if err := change(newHash, liveSession("fresh", u.ID)); err != nil {
				t.Fatalf("change: %v", err)
			}
			if c, err := db.UserCredentials(ctx, "demo@user.io"); err != nil || c.PasswordHash != newHash {
				t.Errorf("hash after the change = %q, %v", c.PasswordHash, err)
			}
			if sessionLive(t, db, "phone") || sessionLive(t, db, "laptop") || !sessionLive(t, db, "fresh") || !sessionLive(t, db, "others") {
				t.Error("the change must end exactly the user's old sessions and add the new one")
			}
			// A failure changes nothing: the replacement's id is taken.
			if err := change(fakeHash, liveSession("others", u.ID)); err == nil {
				t.Fatal("a change whose new session id is taken = nil, want an error")
			}
			if c, _ := db.UserCredentials(ctx, "demo@user.io"); c.PasswordHash != newHash || !sessionLive(t, db, "fresh") {
				t.Error("a failed change altered the hash or the sessions")
			}
		})
	})
}
