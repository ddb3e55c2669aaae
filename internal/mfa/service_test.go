package mfa_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/mfa"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

type fixture struct {
	db      *store.DB
	clock   *testkit.Clock
	factors *mfa.Service
	user    auth.User
	secret  string
	codes   []string
}

// enrolled is an account with a confirmed authenticator app, at a step boundary.
func enrolled(t *testing.T, tg testdb.Target, keys *mfa.Keyring) fixture {
	t.Helper()
	ctx := context.Background()
	db := tg.Migrated(t)
	clk := testkit.NewClock(time.Unix(1_800_000_000, 0)) // a multiple of 30 s
	users, err := auth.NewService(db, testkit.PlainHasher{}, slog.New(slog.DiscardHandler),
		auth.WithThrottle(db, auth.DefaultThrottle), auth.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	u, err := testdb.CreateUser(ctx, db, "ann", "ann@example.com", "h:right-password")
	if err != nil {
		t.Fatal(err)
	}
	f := mfa.New(db, users, mfa.Options{Keys: keys, Now: clk.Now})
	en, err := f.Begin(ctx, u, "right-password")
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	on, err := f.Confirm(ctx, u, code(t, en.Secret, clk.Now()), "", login.Client{})
	if err != nil {
		t.Fatalf("Confirm = %v", err)
	}
	return fixture{db: db, clock: clk, factors: f, user: u, secret: en.Secret, codes: on.RecoveryCodes}
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKeys(t *testing.T) *mfa.Keyring {
	t.Helper()
	k, err := mfa.NewKeyring([]byte(strings.Repeat("k", mfa.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// spend verifies p and spends it, as a sensitive change does.
func (f fixture) spend(p auth.Proof) error {
	return f.factors.Prove(context.Background(), f.user, p, login.Client{})
}

func TestCodes(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Run("TheConfirmingCodeCannotBeUsedAgain", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				if err := f.spend(auth.Proof{Code: code(t, f.secret, f.clock.Now())}); !errors.Is(err, auth.ErrCodeWrong) {
					t.Errorf("Prove = %v, want ErrCodeWrong", err)
				}
			})
			t.Run("ACodeWorksOnce", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				f.clock.Advance(30 * time.Second)
				c := code(t, f.secret, f.clock.Now())
				if err := f.spend(auth.Proof{Code: c}); err != nil {
					t.Fatalf("Prove = %v", err)
				}
				if err := f.spend(auth.Proof{Code: c}); !errors.Is(err, auth.ErrCodeWrong) {
					t.Errorf("Prove again = %v, want ErrCodeWrong", err)
				}
				// The next step's code, within the skew, is still good.
				if err := f.spend(auth.Proof{Code: code(t, f.secret, f.clock.Now().Add(30*time.Second))}); err != nil {
					t.Errorf("Prove with the next step's code = %v", err)
				}
			})
			t.Run("OfTwoRacingUsesOneWins", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				f.clock.Advance(30 * time.Second)
				ctx, p := context.Background(), auth.Proof{Code: code(t, f.secret, f.clock.Now())}
				a, err1 := f.factors.Verify(ctx, f.user.ID, p, login.Client{})
				b, err2 := f.factors.Verify(ctx, f.user.ID, p, login.Client{})
				if err1 != nil || err2 != nil {
					t.Fatalf("Verify = %v, %v; both checks pass before either spends", err1, err2)
				}
				spend := func(pv login.Proven) error {
					return f.db.InTx(ctx, func(tx login.Tx) error { _, err := pv.Spend(ctx, tx, login.Client{}); return err })
				}
				if err := spend(a); err != nil {
					t.Fatalf("first Spend = %v", err)
				}
				if err := spend(b); !errors.Is(err, auth.ErrCodeWrong) {
					t.Errorf("second Spend = %v, want ErrCodeWrong", err)
				}
			})
			t.Run("ARecoveryCodeWorksOnce", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				if err := f.spend(auth.Proof{RecoveryCode: strings.ToUpper(f.codes[3])}); err != nil {
					t.Fatalf("Prove = %v", err)
				}
				if err := f.spend(auth.Proof{RecoveryCode: f.codes[3]}); !errors.Is(err, auth.ErrRecoveryCodeWrong) {
					t.Errorf("Prove again = %v, want ErrRecoveryCodeWrong", err)
				}
				st, err := f.factors.Status(context.Background(), f.user.ID)
				if err != nil || !st.Enabled || st.RecoveryCodesRemaining != 9 {
					t.Errorf("Status = %+v, %v; want enabled with 9 codes left", st, err)
				}
			})
			t.Run("NewRecoveryCodesVoidTheOld", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				fresh, err := f.factors.RegenerateCodes(context.Background(), f.user, "right-password", auth.Proof{RecoveryCode: f.codes[0]}, login.Client{})
				if err != nil || len(fresh) != 10 {
					t.Fatalf("RegenerateCodes = %d codes, %v", len(fresh), err)
				}
				if err := f.spend(auth.Proof{RecoveryCode: f.codes[1]}); !errors.Is(err, auth.ErrRecoveryCodeWrong) {
					t.Errorf("an old code = %v, want ErrRecoveryCodeWrong", err)
				}
				if err := f.spend(auth.Proof{RecoveryCode: fresh[0]}); err != nil {
					t.Errorf("a new code = %v", err)
				}
			})
			t.Run("MissingOrMalformedIsRefusedUncounted", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				for _, p := range []auth.Proof{{}, {Code: "12345"}, {Code: "abcdef"}, {RecoveryCode: "short"}, {Code: "123456", RecoveryCode: f.codes[0]}} {
					if err := f.spend(p); auth.ErrorCode(err) != auth.EInvalid {
						t.Errorf("Prove(%+v) = %v, want a 400", p, err)
					}
				}
				if n, _, _ := f.db.LoginThrottleState(context.Background(), "2fa:u:"+itoa(f.user.ID)); n != 0 {
					t.Errorf("%d failures counted for input that is no code", n)
				}
			})
			t.Run("WrongCodesBlockTheAccountAndOnlyALogInClearsThem", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				ctx := context.Background()
				for i := range auth.CodeThrottle.FreeFailures {
					if err := f.spend(auth.Proof{Code: "000000"}); !errors.Is(err, auth.ErrCodeWrong) {
						t.Fatalf("wrong code %d = %v", i+1, err)
					}
				}
				// The next step's code (within the skew) is right, but the account waits.
				right := auth.Proof{Code: code(t, f.secret, f.clock.Now().Add(30*time.Second))}
				if err := f.spend(right); auth.ErrorCode(err) != auth.ETooMany {
					t.Fatalf("the right code while blocked = %v, want 429", err)
				}
				// A right password clears the password's count, not the codes'.
				users, _ := auth.NewService(f.db, testkit.PlainHasher{}, slog.New(slog.DiscardHandler), auth.WithThrottle(f.db, auth.DefaultThrottle), auth.WithClock(f.clock.Now))
				if _, err := users.VerifyPassword(ctx, auth.LoginInput{Credential: "ann", Password: "right-password"}); err != nil {
					t.Fatal(err)
				}
				if n, _, _ := f.db.LoginThrottleState(ctx, "2fa:u:"+itoa(f.user.ID)); n != auth.CodeThrottle.FreeFailures {
					t.Errorf("after a right password the code count is %d, want %d", n, auth.CodeThrottle.FreeFailures)
				}
				f.clock.Advance(auth.CodeThrottle.BaseDelay)
				right = auth.Proof{Code: code(t, f.secret, f.clock.Now())}
				// A sensitive change with the right code does not clear it either ...
				if err := f.spend(right); err != nil {
					t.Fatalf("the right code after the wait = %v", err)
				}
				if n, _, _ := f.db.LoginThrottleState(ctx, "2fa:u:"+itoa(f.user.ID)); n == 0 {
					t.Error("a sensitive change cleared the count of wrong codes")
				}
				// ... a finished log-in does.
				f.clock.Advance(30 * time.Second)
				pv, err := f.factors.Verify(ctx, f.user.ID, auth.Proof{Code: code(t, f.secret, f.clock.Now())}, login.Client{})
				if err != nil {
					t.Fatal(err)
				}
				pv.Finish(nil, true)
				if n, _, _ := f.db.LoginThrottleState(ctx, "2fa:u:"+itoa(f.user.ID)); n != 0 {
					t.Errorf("after a log-in the count is %d, want 0", n)
				}
			})
			t.Run("DisableNeedsTheFactor", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				ctx := context.Background()
				if err := f.factors.Disable(ctx, f.user, "right-password", auth.Proof{}, "", login.Client{}); !errors.Is(err, auth.ErrCodeRequired) {
					t.Fatalf("Disable without a code = %v, want ErrCodeRequired", err)
				}
				if err := f.factors.Disable(ctx, f.user, "wrong", auth.Proof{RecoveryCode: f.codes[0]}, "", login.Client{}); auth.ErrorCode(err) != auth.EInvalid {
					t.Fatalf("Disable with a wrong password = %v, want 400", err)
				}
				if err := f.factors.Disable(ctx, f.user, "right-password", auth.Proof{RecoveryCode: f.codes[0]}, "", login.Client{}); err != nil {
					t.Fatalf("Disable = %v", err)
				}
				if on, err := f.factors.Enrolled(ctx, f.user.ID); on || err != nil {
					t.Errorf("Enrolled = %v, %v after Disable", on, err)
				}
				if n, _ := f.db.CountRecoveryCodes(ctx, f.user.ID); n != 0 {
					t.Errorf("%d recovery codes left after Disable", n)
				}
				// Without a factor, nothing is asked.
				if err := f.spend(auth.Proof{}); err != nil {
					t.Errorf("Prove without a factor = %v", err)
				}
			})
			t.Run("ASecretUnderADroppedKeyIsUnavailable", func(t *testing.T) {
				f := enrolled(t, tg, newKeys(t))
				other, _ := mfa.NewKeyring([]byte(strings.Repeat("o", mfa.KeySize)))
				users, _ := auth.NewService(f.db, testkit.PlainHasher{}, slog.New(slog.DiscardHandler))
				g := mfa.New(f.db, users, mfa.Options{Keys: other, Now: f.clock.Now})
				f.clock.Advance(30 * time.Second)
				_, err := g.Verify(context.Background(), f.user.ID, auth.Proof{Code: code(t, f.secret, f.clock.Now())}, login.Client{})
				if auth.ErrorCode(err) != auth.EUnavailable {
					t.Errorf("Verify = %v, want 503", err)
				}
			})
			t.Run("RotationResealsUnderTheFirstKey", func(t *testing.T) {
				old := newKeys(t)
				f := enrolled(t, tg, old)
				fresh := []byte(strings.Repeat("n", mfa.KeySize))
				both, _ := mfa.NewKeyring(fresh, []byte(strings.Repeat("k", mfa.KeySize)))
				if n, err := mfa.Reseal(context.Background(), f.db, both); n != 1 || err != nil {
					t.Fatalf("Reseal = %d, %v; want 1", n, err)
				}
				onlyNew, _ := mfa.NewKeyring(fresh)
				users, _ := auth.NewService(f.db, testkit.PlainHasher{}, slog.New(slog.DiscardHandler))
				g := mfa.New(f.db, users, mfa.Options{Keys: onlyNew, Now: f.clock.Now})
				f.clock.Advance(30 * time.Second)
				if err := g.Prove(context.Background(), f.user, auth.Proof{Code: code(t, f.secret, f.clock.Now())}, login.Client{}); err != nil {
					t.Errorf("Prove under the new key alone = %v", err)
				}
			})
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
