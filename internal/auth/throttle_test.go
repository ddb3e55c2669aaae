package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/password"
	"authme/internal/session"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// cheap are fast Argon2id parameters for tests that need many hashes but not their cost.
var cheap = password.NewArgon2id(password.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})

func TestThrottlePolicyDelay(t *testing.T) {
	t.Parallel()
	p := auth.DefaultThrottle
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {4, 0},
		{5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second}, {10, 32 * time.Second},
		{14, 512 * time.Second},
		{15, 15 * time.Minute}, {100, 15 * time.Minute}, {1 << 30, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := p.Delay(tt.failures); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

// throttled returns a service over db that counts failures in db, on clk.
func throttled(t *testing.T, db *store.DB, clk *testkit.Clock) *auth.Service {
	t.Helper()
	s, err := auth.NewService(db, cheap, discardLog(), auth.WithThrottle(db, auth.DefaultThrottle), auth.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Parallel()

			t.Run("FiveFreeFailuresThenTooManyEvenForTheRightPassword", func(t *testing.T) {
				t.Parallel()
				db := tg.Migrated(t)
				clk := testkit.NewClock(time.Unix(1_800_000_000, 0))
				s := throttled(t, db, clk)
				u := signup(t, s, db, "Demo-lition", "demo@user.io", "tidal-basin-47")
				for i := 1; i <= auth.DefaultThrottle.FreeFailures; i++ {
					if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "wrong-guess"}); !errors.Is(err, auth.ErrInvalidCredentials) {
						t.Fatalf("failure %d: %v, want ErrInvalidCredentials", i, err)
					}
				}
				// Failures count against the account, whatever name it was reached by.
				_, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "DEMO@USER.IO", Password: "tidal-basin-47"})
				var e *auth.Error
				if !errors.As(err, &e) || e.Code != auth.ETooMany || e.RetryAfter <= 0 || e.RetryAfter > 2*time.Second {
					t.Fatalf("Login while throttled = %v, want ETooMany with RetryAfter about 1s", err)
				}
				clk.Advance(2 * time.Second)
				if got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "tidal-basin-47"}); err != nil || got != u {
					t.Fatalf("Login after the wait = %+v, %v; want %+v", got, err, u)
				}
				// The success reset the count: five more failures are free again.
				for i := 1; i < auth.DefaultThrottle.FreeFailures; i++ {
					if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "wrong-guess"}); !errors.Is(err, auth.ErrInvalidCredentials) {
						t.Fatalf("failure %d after reset: %v, want ErrInvalidCredentials", i, err)
					}
				}
			})

			t.Run("UnknownCredentialIsThrottledLikeAnAccount", func(t *testing.T) {
				t.Parallel()
				db := tg.Migrated(t)
				s := throttled(t, db, testkit.NewClock(time.Unix(1_800_000_000, 0)))
				for i := 1; i <= auth.DefaultThrottle.FreeFailures; i++ {
					if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "ghost@user.io", Password: "whatever1"}); !errors.Is(err, auth.ErrInvalidCredentials) {
						t.Fatalf("failure %d: %v, want ErrInvalidCredentials", i, err)
					}
				}
				if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "GHOST@user.io", Password: "whatever1"}); auth.ErrorCode(err) != auth.ETooMany {
					t.Errorf("sixth try = %v, want ETooMany", err)
				}
			})

			// Credentials are free text; whatever PostgreSQL text cannot hold (NUL, invalid
			// UTF-8, a rune cut in half) must still be an ordinary failed log-in, not a 500.
			t.Run("OddCredentialsAreOrdinaryFailures", func(t *testing.T) {
				t.Parallel()
				db := tg.Migrated(t)
				s := throttled(t, db, testkit.NewClock(time.Unix(1_800_000_000, 0)))
				for name, cred := range map[string]string{
					"NUL":              "Demo\x00lition",
					"InvalidUTF8":      "Demo\xfflition",
					"RuneCutAt256":     strings.Repeat("a", 255) + "é",
					"LongFourByteRune": strings.Repeat("🔑", 100),
				} {
					for i := 0; i < 2; i++ {
						if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: cred, Password: "whatever1"}); !errors.Is(err, auth.ErrInvalidCredentials) {
							t.Errorf("%s: Login = %v, want ErrInvalidCredentials", name, err)
						}
					}
				}
			})
		})
	}
}

func TestSignupPasswordRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg := testdb.Targets(t)[0]
	common := auth.NewCommonPasswords()
	if common.Len() < 10000 || !common.Contains("password") || !common.Contains("PassWord") || common.Contains("tidal-basin-47") {
		t.Fatalf("common list: %d entries, Contains(password) %v, Contains(tidal-basin-47) %v",
			common.Len(), common.Contains("password"), common.Contains("tidal-basin-47"))
	}
	tests := []struct {
		name     string
		in       auth.SignupInput
		opts     []auth.Option
		wantFail string // the password message, or "" for success
	}{
		{"CommonIsRefused", auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "password"}, nil, auth.MsgPasswordCommon},
		{"CommonInOtherCaseIsRefused", auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "PASSWORD1"}, nil, auth.MsgPasswordCommon},
		{"UsernameIsRefused", auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "demo-LITION"}, nil, auth.MsgPasswordPersonal},
		{"EmailIsRefused", auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "Demo@User.io"}, nil, auth.MsgPasswordPersonal},
		{"ListCanBeTurnedOff", auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "password"}, []auth.Option{auth.WithCommonPasswords(nil)}, ""},
		{"UncommonIsAccepted", auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "tidal-basin-47"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			s, err := auth.NewService(db, cheap, discardLog(), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = trySignup(s, db, tt.in)
			if tt.wantFail == "" {
				if err != nil {
					t.Fatalf("Signup: %v", err)
				}
				return
			}
			checkFields(t, err, "password")
			var e *auth.Error
			if errors.As(err, &e) && e.Fields["password"] != tt.wantFail {
				t.Errorf("Fields[password] = %q, want %q", e.Fields["password"], tt.wantFail)
			}
			if n, _ := db.UserCount(ctx); n != 0 {
				t.Errorf("a refused sign-up stored %d users", n)
			}
		})
	}
}

// TestChangePassword: the current password is checked and the new one must pass the
// rules; a change replaces every session by the one the login package starts.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Parallel()
			db := tg.Migrated(t)
			clk := testkit.NewClock(time.Now())
			s := throttled(t, db, clk)
			u := signup(t, s, db, "Demo-lition", "demo@user.io", "tidal-basin-47")
			m := session.NewManager(db, []byte("change password test secret, long enough"), time.Hour, time.Hour, clk.Now)
			for _, ua := range []string{"phone", "laptop"} {
				testdb.StartSession(t, db, m, u, ua)
			}
			accounts := login.New(s, m, db)

			bad := []struct {
				name   string
				in     auth.ChangePasswordInput
				fields []string
			}{
				{"NothingGiven", auth.ChangePasswordInput{}, []string{"currentPassword", "newPassword"}},
				{"NewTooShort", auth.ChangePasswordInput{CurrentPassword: "tidal-basin-47", NewPassword: "short"}, []string{"newPassword"}},
				{"NewIsCommon", auth.ChangePasswordInput{CurrentPassword: "tidal-basin-47", NewPassword: "password"}, []string{"newPassword"}},
				{"CurrentIsWrong", auth.ChangePasswordInput{CurrentPassword: "wrong-guess", NewPassword: "quiet-harbor-2"}, []string{"currentPassword"}},
			}
			for _, tt := range bad {
				_, err := accounts.ChangePassword(ctx, u, tt.in, login.Client{UserAgent: "fresh-" + tt.name})
				checkFields(t, err, tt.fields...)
			}
			if live, _ := db.UserSessions(ctx, u.ID, clk.Now(), clk.Now().Add(-time.Hour)); len(live) != 2 {
				t.Fatalf("refused changes left %d sessions, want the 2 there were", len(live))
			}

			st, err := accounts.ChangePassword(ctx, u, auth.ChangePasswordInput{CurrentPassword: "tidal-basin-47", NewPassword: "quiet-harbor-2"}, login.Client{UserAgent: "fresh"})
			if err != nil {
				t.Fatalf("ChangePassword: %v", err)
			}
			if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "tidal-basin-47"}); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("old password after change = %v, want ErrInvalidCredentials", err)
			}
			if got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "quiet-harbor-2"}); err != nil || got != u {
				t.Errorf("new password = %+v, %v; want %+v", got, err, u)
			}
			live, err := db.UserSessions(ctx, u.ID, clk.Now(), clk.Now().Add(-time.Hour))
			if err != nil || len(live) != 1 || live[0].ID != st.Session.ID || live[0].UserAgent != "fresh" {
				t.Errorf("sessions after change = %+v, %v; want only the new one, %q", live, err, st.Session.ID)
			}
		})
	}
}

func TestHashGateSaturatedIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.Targets(t)[0].Migrated(t)
	gate := password.NewGate(1, 0, 50*time.Millisecond)
	s, err := auth.NewService(db, cheap, discardLog(), auth.WithHashGate(gate))
	if err != nil {
		t.Fatal(err)
	}
	signup(t, s, db, "Demo-lition", "demo@user.io", "tidal-basin-47")
	release, err := gate.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "tidal-basin-47"})
	var e *auth.Error
	if !errors.As(err, &e) || e.Code != auth.EUnavailable || e.RetryAfter <= 0 {
		t.Errorf("Login with every hash slot taken = %v, want EUnavailable with RetryAfter", err)
	}
	release()
	if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "tidal-basin-47"}); err != nil {
		t.Errorf("Login after the slot is free = %v", err)
	}
}
