package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"authme/internal/auth"
	"authme/internal/password"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/testkit"
)

// bcryptjsPassword is bcryptjs 3.0.3's hash of "password" with a `$2a$` salt, the kind the
// Express app stores: made in the reference app's folder with
// b.hashSync('password', b.genSaltSync(10).replace(/^\$2b\$/, '$2a$')).
const bcryptjsPassword = "$2a$10$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G"

func newService(t *testing.T, users auth.UserStore, h auth.PasswordHasher, log *slog.Logger) *auth.Service {
	t.Helper()
	if log == nil {
		log = discardLog()
	}
	s, err := auth.NewService(users, h, log)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// signup makes an account as the login package's sign-up does: the rules and the hash
// from s, the row in its own transaction.
func signup(t *testing.T, s *auth.Service, db *store.DB, username, email, pw string) auth.User {
	t.Helper()
	u, err := trySignup(s, db, auth.SignupInput{Username: username, Email: email, Password: pw})
	if err != nil {
		t.Fatalf("Signup(%q): %v", username, err)
	}
	return u
}

func trySignup(s *auth.Service, db *store.DB, in auth.SignupInput) (auth.User, error) {
	ctx := context.Background()
	a, err := s.PrepareSignup(ctx, in)
	if err != nil {
		return auth.User{}, err
	}
	return testdb.CreateUser(ctx, db, a.Username, a.Email, a.PasswordHash)
}

func storedHash(t *testing.T, db *store.DB, credential string) string {
	t.Helper()
	c, err := db.UserCredentials(context.Background(), credential)
	if err != nil {
		t.Fatalf("UserCredentials(%q): %v", credential, err)
	}
	return c.PasswordHash
}

func TestService(t *testing.T) {
	t.Parallel()
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			t.Parallel()
			testService(t, tg)
		})
	}
}

func testService(t *testing.T, tg testdb.Target) {
	ctx := context.Background()
	argon := password.NewArgon2id(password.OWASP)

	t.Run("SignupThenLoginByUsernameOrEmailInAnyCase", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		u := signup(t, s, db, "Demo-lition", "demo@user.io", "tidal-basin-47")
		if u.ID == 0 || u.Username != "Demo-lition" || u.Email != "demo@user.io" {
			t.Fatalf("Signup = %+v", u)
		}
		for _, cred := range []string{"Demo-lition", "demo-lition", "DEMO-LITION", "demo@user.io", "Demo@User.IO"} {
			got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: cred, Password: "tidal-basin-47"})
			if err != nil {
				t.Errorf("Login(%q): %v", cred, err)
				continue
			}
			if got != u {
				t.Errorf("Login(%q) = %+v, want %+v", cred, got, u)
			}
		}
	})

	t.Run("WrongPasswordAndUnknownUserAreInvalidCredentials", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		signup(t, s, db, "FakeUser1", "user1@user.io", "quiet-harbor-2")
		for _, in := range []auth.LoginInput{
			{Credential: "FakeUser1", Password: "quiet-harbor-3"},
			{Credential: "FakeUser1", Password: "QUIET-HARBOR-2"},
			{Credential: "user1@user.io", Password: "quiet-harbor-"},
			{Credential: "FakeUser2", Password: "quiet-harbor-2"},
			{Credential: "nobody@user.io", Password: "quiet-harbor-2"},
			{Credential: "Fake\x00User1", Password: "quiet-harbor-2"},
		} {
			u, err := s.VerifyPassword(ctx, in)
			if !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("Login(%q, %q) = %+v, %v; want ErrInvalidCredentials", in.Credential, in.Password, u, err)
			}
			if auth.ErrorCode(err) != auth.EUnauthorized {
				t.Errorf("Login(%q) code = %q, want %q", in.Credential, auth.ErrorCode(err), auth.EUnauthorized)
			}
		}
	})

	t.Run("InvalidLoginInputIsEInvalid", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		_, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: " ", Password: ""})
		checkFields(t, err, "credential", "password")
	})

	t.Run("InvalidSignupIsEInvalidAndCreatesNothing", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		_, err := trySignup(s, db, auth.SignupInput{Username: "abc", Email: "abc@user", Password: "passwor"})
		checkFields(t, err, "username", "email", "password")
		if n, err := db.UserCount(ctx); err != nil || n != 0 {
			t.Errorf("UserCount = %d, %v; want 0", n, err)
		}
	})

	t.Run("DuplicateSignupIsConflict", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		signup(t, s, db, "Demo-lition", "demo@user.io", "tidal-basin-47")
		_, err := trySignup(s, db, auth.SignupInput{Username: "DEMO-lition", Email: "other@user.io", Password: "tidal-basin-47"})
		var e *auth.Error
		if !errors.As(err, &e) || e.Code != auth.EConflict || len(e.Fields) != 1 || e.Fields["username"] == "" {
			t.Errorf("Signup(duplicate username) = %v; want EConflict naming username", err)
		}
	})

	t.Run("BcryptUserLogsInAndIsRehashedToArgon2id", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		u, err := testdb.CreateUser(ctx, db, "Demo-lition", "demo@user.io", bcryptjsPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "demo@user.io", Password: "wrong-password"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("Login(wrong) = %v, want ErrInvalidCredentials", err)
		}
		if h := storedHash(t, db, "Demo-lition"); h != bcryptjsPassword {
			t.Fatalf("a failed log-in changed the stored hash to %q", h)
		}
		got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "password"})
		if err != nil || got != u {
			t.Fatalf("Login = %+v, %v; want %+v", got, err, u)
		}
		h := storedHash(t, db, "Demo-lition")
		if !strings.HasPrefix(h, "$argon2id$v=19$m=7168,t=5,p=1$") {
			t.Fatalf("stored hash after log-in = %q, want argon2id", h)
		}
		if got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "DEMO@USER.IO", Password: "password"}); err != nil || got != u {
			t.Errorf("Login after rehash = %+v, %v; want %+v", got, err, u)
		}
		if h2 := storedHash(t, db, "Demo-lition"); h2 != h {
			t.Errorf("a current hash was rewritten on log-in: %q then %q", h, h2)
		}
	})

	t.Run("FailedRehashIsLoggedNotFatal", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		u, err := testdb.CreateUser(ctx, db, "Demo-lition", "demo@user.io", bcryptjsPassword)
		if err != nil {
			t.Fatal(err)
		}
		var logs testkit.Buffer
		s := newService(t, failingSetHash{db}, argon, slog.New(slog.NewTextHandler(&logs, nil)))
		got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Demo-lition", Password: "password"})
		if err != nil || got != u {
			t.Fatalf("Login = %+v, %v; want %+v despite the failed upgrade", got, err, u)
		}
		if !strings.Contains(logs.String(), "password hash upgrade failed") {
			t.Errorf("log %q does not record the failed upgrade", logs.String())
		}
		if h := storedHash(t, db, "Demo-lition"); h != bcryptjsPassword {
			t.Errorf("stored hash = %q, want the bcrypt one kept", h)
		}
	})

	t.Run("UnreadableStoredHashIsInternalNotInvalidCredentials", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		if _, err := testdb.CreateUser(ctx, db, "Broken", "broken@user.io", "not a hash"); err != nil {
			t.Fatal(err)
		}
		_, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Broken", Password: "password"})
		if err == nil || errors.Is(err, auth.ErrInvalidCredentials) || auth.ErrorCode(err) != auth.EInternal {
			t.Errorf("Login = %v; want an internal error", err)
		}
	})

	t.Run("LongPasswordPrefixDoesNotLogIn", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, argon, nil)
		long := strings.Repeat("0123456789", 10)
		signup(t, s, db, "LongPass", "long@user.io", long)
		if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "LongPass", Password: long[:72]}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("Login(72-byte prefix) = %v, want ErrInvalidCredentials", err)
		}
		if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "LongPass", Password: long}); err != nil {
			t.Errorf("Login(full 100 bytes) = %v", err)
		}
	})

	t.Run("BcryptModeRefuses73BytePassword", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, password.NewBcrypt(10), nil)
		for _, pw := range []string{"q" + strings.Repeat("p", 72), "q" + strings.Repeat("🔑", 18), "q" + strings.Repeat("🔑", 63)} {
			_, err := trySignup(s, db, auth.SignupInput{Username: "LongPass", Email: "long@user.io", Password: pw})
			checkFields(t, err, "password")
			var e *auth.Error
			if errors.As(err, &e) && e.Fields["password"] != auth.MsgPasswordBcrypt {
				t.Errorf("Fields[password] = %q, want %q", e.Fields["password"], auth.MsgPasswordBcrypt)
			}
		}
		if n, err := db.UserCount(ctx); err != nil || n != 0 {
			t.Errorf("UserCount = %d, %v; want 0", n, err)
		}
	})

	t.Run("BcryptModeStoresBcryptAndLogsIn", func(t *testing.T) {
		t.Parallel()
		db := tg.Migrated(t)
		s := newService(t, db, password.NewBcrypt(10), nil)
		pw := "q" + strings.Repeat("p", 71)
		u := signup(t, s, db, "Bcrypt72", "bcrypt@user.io", pw)
		h := storedHash(t, db, "bcrypt@user.io")
		if !strings.HasPrefix(h, "$2a$10$") {
			t.Fatalf("stored hash = %q, want bcrypt at cost 10", h)
		}
		if got, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Bcrypt72", Password: pw}); err != nil || got != u {
			t.Errorf("Login = %+v, %v; want %+v", got, err, u)
		}
		if _, err := s.VerifyPassword(ctx, auth.LoginInput{Credential: "Bcrypt72", Password: pw + "p"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("Login(73 bytes) = %v, want ErrInvalidCredentials", err)
		}
		if h2 := storedHash(t, db, "bcrypt@user.io"); h2 != h {
			t.Errorf("bcrypt mode rewrote a current bcrypt hash: %q then %q", h, h2)
		}
	})
}

// failingSetHash is a UserStore whose hash upgrades fail.
type failingSetHash struct{ auth.UserStore }

func (failingSetHash) SetPasswordHash(context.Context, int64, string) error {
	return errors.New("disk full")
}
