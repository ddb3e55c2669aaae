package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/passkey"
	"authme/internal/passkey/passkeytest"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

const origin = "http://localhost:8000"

var settings = passkey.Settings{RPID: "localhost", Origins: []string{origin}}

type fixture struct {
	db    *store.DB
	clock *testkit.Clock
	svc   *passkey.Service
	user  auth.User
}

func newService(t *testing.T, db *store.DB, clk *testkit.Clock, st passkey.Settings) *passkey.Service {
	t.Helper()
	users, err := auth.NewService(db, testkit.PlainHasher{}, slog.New(slog.DiscardHandler), auth.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	s, err := passkey.New(st, db, users, passkey.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func setup(t *testing.T, tg testdb.Target) fixture {
	t.Helper()
	db := tg.Migrated(t)
	u, err := testdb.CreateUser(context.Background(), db, "ann", "ann@example.com", "h:right-password")
	if err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(time.Now())
	return fixture{db: db, clock: clk, svc: newService(t, db, clk, settings), user: u}
}

// recent is a session that logged in just now: no password is asked.
func (f fixture) recent() passkey.Reauth { return passkey.Reauth{LoggedInAt: f.clock.Now()} }

// register makes a passkey for f.user with a, through svc.
func (f fixture) register(t *testing.T, svc *passkey.Service, a *passkeytest.Authenticator) auth.Passkey {
	t.Helper()
	ctx := context.Background()
	opts, err := svc.BeginRegistration(ctx, f.user, f.recent(), login.Client{})
	if err != nil {
		t.Fatalf("BeginRegistration = %v", err)
	}
	resp, err := a.Register(mustJSON(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := svc.FinishRegistration(ctx, f.user, "Laptop", resp, "", login.Client{})
	if err != nil {
		t.Fatalf("FinishRegistration = %v", err)
	}
	return pk
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// logIn begins a log-in on begin and finishes it on finish with a's answer.
func logIn(t *testing.T, begin, finish *passkey.Service, a *passkeytest.Authenticator) (login.Identity, error) {
	t.Helper()
	opts, err := begin.BeginLogin(context.Background())
	if err != nil {
		t.Fatalf("BeginLogin = %v", err)
	}
	resp, err := a.Login(mustJSON(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	return finish.VerifyLogin(context.Background(), resp, login.Client{})
}

func TestPasskeys(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Run("RegisterThenLogInWithNoUsername", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, true)
				pk := f.register(t, f.svc, a)
				id, err := logIn(t, f.svc, f.svc, a)
				if err != nil || id.User.ID != f.user.ID || !id.SecondFactor || id.Method != login.MethodPasskey {
					t.Fatalf("VerifyLogin = %+v, %v; want ann, verified", id, err)
				}
				list, _ := f.svc.List(context.Background(), f.user.ID)
				if len(list) != 1 || list[0].ID != pk.ID || list[0].LastUsedAt.IsZero() || list[0].Name != "Laptop" {
					t.Errorf("List = %+v; want the passkey, used", list)
				}
			})
			t.Run("WithoutUserVerificationTheSecondFactorIsNotProven", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, false)
				f.register(t, f.svc, a)
				if id, err := logIn(t, f.svc, f.svc, a); err != nil || id.SecondFactor {
					t.Errorf("VerifyLogin = %+v, %v; want ann without the second factor", id, err)
				}
			})
			t.Run("AnotherInstanceFinishesWhatOneBegan", func(t *testing.T) {
				f := setup(t, tg)
				other := newService(t, f.db, f.clock, settings)
				a := passkeytest.New(origin, true)
				ctx := context.Background()
				opts, _ := f.svc.BeginRegistration(ctx, f.user, f.recent(), login.Client{})
				resp, _ := a.Register(mustJSON(t, opts))
				if _, err := other.FinishRegistration(ctx, f.user, "Phone", resp, "", login.Client{}); err != nil {
					t.Fatalf("registration finished on another instance = %v", err)
				}
				if _, err := logIn(t, f.svc, other, a); err != nil {
					t.Errorf("log-in finished on another instance = %v", err)
				}
			})
			t.Run("AReplayedAnswerIsRefused", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, true)
				f.register(t, f.svc, a)
				opts, _ := f.svc.BeginLogin(context.Background())
				resp, _ := a.Login(mustJSON(t, opts))
				if _, err := f.svc.VerifyLogin(context.Background(), resp, login.Client{}); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.VerifyLogin(context.Background(), resp, login.Client{}); !errors.Is(err, auth.ErrPasskeyChallenge) {
					t.Errorf("the same answer again = %v, want the challenge refused", err)
				}
			})
			t.Run("AnExpiredChallengeIsRefused", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, true)
				f.register(t, f.svc, a)
				opts, _ := f.svc.BeginLogin(context.Background())
				f.clock.Advance(passkey.ChallengeTTL + time.Second)
				resp, _ := a.Login(mustJSON(t, opts))
				if _, err := f.svc.VerifyLogin(context.Background(), resp, login.Client{}); !errors.Is(err, auth.ErrPasskeyChallenge) {
					t.Errorf("VerifyLogin after %v = %v, want the challenge refused", passkey.ChallengeTTL, err)
				}
			})
			t.Run("AWrongOriginIsRefused", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, true)
				f.register(t, f.svc, a)
				for _, o := range []string{"http://localhost:8001", "https://localhost:8000", "http://evil.localhost:8000"} {
					a.Origin = o
					if _, err := logIn(t, f.svc, f.svc, a); !errors.Is(err, auth.ErrPasskeyRefused) {
						t.Errorf("origin %s: VerifyLogin = %v, want refused", o, err)
					}
				}
			})
			t.Run("ACounterGoingBackIsRefusedAndRecorded", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, true)
				f.register(t, f.svc, a)
				a.Counter = 10
				if _, err := logIn(t, f.svc, f.svc, a); err != nil {
					t.Fatal(err)
				}
				a.Counter = 5 // a copy of the key, signing behind the original
				if _, err := logIn(t, f.svc, f.svc, a); !errors.Is(err, auth.ErrPasskeyRefused) {
					t.Errorf("VerifyLogin = %v, want refused", err)
				}
				evs, _ := f.db.ListEvents(context.Background(), f.user.ID, 0, 5)
				if len(evs) == 0 || evs[0].Kind != "passkey-refused" || evs[0].Detail["reason"] != "clone" {
					t.Errorf("events %+v: want passkey-refused (clone) first", evs)
				}
			})
			t.Run("AnotherAccountCannotFinishARegistration", func(t *testing.T) {
				f := setup(t, tg)
				bob, _ := testdb.CreateUser(context.Background(), f.db, "bob", "bob@example.com", "h:x")
				opts, _ := f.svc.BeginRegistration(context.Background(), f.user, f.recent(), login.Client{})
				resp, _ := passkeytest.New(origin, true).Register(mustJSON(t, opts))
				if _, err := f.svc.FinishRegistration(context.Background(), bob, "x", resp, "", login.Client{}); !errors.Is(err, auth.ErrPasskeyChallenge) {
					t.Errorf("FinishRegistration as bob = %v, want refused", err)
				}
			})
			t.Run("AnOldSessionMustGiveThePassword", func(t *testing.T) {
				f := setup(t, tg)
				ctx := context.Background()
				old := passkey.Reauth{LoggedInAt: f.clock.Now().Add(-passkey.RecentLogin - time.Second)}
				if _, err := f.svc.BeginRegistration(ctx, f.user, old, login.Client{}); !errors.Is(err, auth.ErrReauthenticate) {
					t.Errorf("BeginRegistration = %v, want the password asked", err)
				}
				old.Password = "wrong"
				if _, err := f.svc.BeginRegistration(ctx, f.user, old, login.Client{}); auth.ErrorCode(err) != auth.EInvalid {
					t.Errorf("BeginRegistration with a wrong password = %v, want 400", err)
				}
				old.Password = "right-password"
				if _, err := f.svc.BeginRegistration(ctx, f.user, old, login.Client{}); err != nil {
					t.Errorf("BeginRegistration with the password = %v", err)
				}
			})
			t.Run("DeleteRemovesIt", func(t *testing.T) {
				f := setup(t, tg)
				a := passkeytest.New(origin, true)
				pk := f.register(t, f.svc, a)
				if err := f.svc.Delete(context.Background(), f.user, "nope", f.recent(), login.Client{}); !errors.Is(err, auth.ErrPasskeyNotFound) {
					t.Errorf("Delete(nope) = %v, want not found", err)
				}
				keep := session.Session{ID: "this-one", UserID: f.user.ID, CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Hour), LastSeenAt: f.clock.Now()}
				other := keep
				other.ID = "made-with-the-lost-passkey"
				for _, s := range []session.Session{keep, other} {
					if err := testdb.InsertSession(context.Background(), f.db, s); err != nil {
						t.Fatal(err)
					}
				}
				if err := f.svc.Delete(context.Background(), f.user, pk.ID, f.recent(), login.Client{Replaces: keep.ID}); err != nil {
					t.Fatalf("Delete = %v", err)
				}
				now := f.clock.Now()
				if _, _, err := f.db.SessionUser(context.Background(), other.ID, now, now.Add(-time.Hour)); !errors.Is(err, auth.ErrNotFound) {
					t.Errorf("the other session = %v after the removal, want it ended", err)
				}
				if _, _, err := f.db.SessionUser(context.Background(), keep.ID, now, now.Add(-time.Hour)); err != nil {
					t.Errorf("this session = %v after the removal, want it kept", err)
				}
				if _, err := logIn(t, f.svc, f.svc, a); !errors.Is(err, auth.ErrPasskeyRefused) {
					t.Errorf("a removed passkey logs in: %v", err)
				}
			})
		})
	}
}
