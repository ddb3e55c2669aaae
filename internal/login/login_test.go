package login_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/outbox"
	"authme/internal/session"
	"authme/internal/tokens"
)

type fakeTx struct {
	writes []string
	failAt string // the kind of write that fails
}

func (t *fakeTx) write(w string) error {
	if t.failAt != "" && strings.HasPrefix(w, t.failAt) {
		return errors.New("write failed: " + w)
	}
	t.writes = append(t.writes, w)
	return nil
}

func (t *fakeTx) CreateUser(_ context.Context, a auth.NewAccount) (auth.User, error) {
	if err := t.write("create " + a.Username + " " + a.PasswordHash); err != nil {
		return auth.User{}, err
	}
	return auth.User{ID: 7, Username: a.Username, Email: a.Email}, nil
}
func (t *fakeTx) SetPasswordHash(_ context.Context, id int64, h string) error {
	return t.write("hash " + h)
}
func (t *fakeTx) EndUserSessions(context.Context, int64) error { return t.write("end all") }
func (t *fakeTx) EndSession(_ context.Context, id string) error {
	return t.write("end " + id)
}
func (t *fakeTx) InsertSession(_ context.Context, s session.Session) error {
	return t.write("insert " + s.ID + " " + s.UserAgent)
}
func (t *fakeTx) EndOtherSessions(_ context.Context, _ int64, keep string) error {
	return t.write("end all but " + keep)
}
func (t *fakeTx) Account(_ context.Context, id int64) (auth.Credentials, error) {
	return auth.Credentials{User: auth.User{ID: id, Username: "ann", Email: "ann@x.io"}, PasswordHash: "h:old"}, nil
}
func (t *fakeTx) SetEmail(_ context.Context, _ auth.User, email string, _ time.Time) error {
	return t.write("email " + email)
}
func (t *fakeTx) SetEmailVerified(context.Context, int64, time.Time) error {
	return t.write("verified")
}
func (t *fakeTx) InsertToken(_ context.Context, r tokens.Record) error {
	return t.write("token " + r.Purpose)
}
func (t *fakeTx) DeleteTokens(_ context.Context, _ int64, purposes ...string) error {
	return t.write("void " + strings.Join(purposes, ","))
}
func (t *fakeTx) RedeemToken(_ context.Context, hash, purpose string, _ time.Time) (tokens.Record, error) {
	return tokens.Record{}, auth.ErrNotFound
}
func (t *fakeTx) Enqueue(_ context.Context, j outbox.Job) error { return t.write("mail " + j.Kind) }
func (t *fakeTx) RecordEvent(_ context.Context, e events.Event) error {
	return t.write("event " + e.Kind + " " + e.SessionID + " " + e.Address)
}

func (t *fakeTx) PutTOTP(_ context.Context, f auth.TOTPFactor) error { return t.write("put totp") }
func (t *fakeTx) ConfirmTOTP(context.Context, int64, time.Time, int64) error {
	return t.write("confirm totp")
}
func (t *fakeTx) DeleteSecondFactors(context.Context, int64) error { return t.write("delete factors") }
func (t *fakeTx) ReplaceRecoveryCodes(context.Context, int64, []string, time.Time) error {
	return t.write("recovery codes")
}
func (t *fakeTx) SpendTOTPStep(_ context.Context, _, step int64) error {
	return t.write(fmt.Sprintf("spend step %d", step))
}
func (t *fakeTx) SpendRecoveryCode(context.Context, int64, string) (int, error) {
	return 9, t.write("spend recovery code")
}
func (t *fakeTx) InsertPendingLogin(_ context.Context, p auth.PendingLogin) error {
	return t.write("pending " + p.ExpiresAt.Sub(p.CreatedAt).String())
}
func (t *fakeTx) RedeemPendingLogin(_ context.Context, hash string, _ time.Time) (auth.PendingLogin, error) {
	return auth.PendingLogin{Hash: hash}, t.write("redeem pending")
}
func (t *fakeTx) EndPendingLogins(context.Context, int64) error { return t.write("end pending") }
func (t *fakeTx) InsertPasskey(_ context.Context, p auth.Passkey) error {
	return t.write("passkey " + p.Name)
}
func (t *fakeTx) DeletePasskey(context.Context, int64, string) (int, error) {
	return 0, t.write("delete passkey")
}

// fakeVerifier accepts the password "right" and hashes by prefixing "h:".
type fakeVerifier struct{}

func (fakeVerifier) VerifyPassword(_ context.Context, in auth.LoginInput) (auth.User, error) {
	if in.Password != "right" {
		return auth.User{}, auth.ErrInvalidCredentials
	}
	if in.Credential == "disabled" {
		return auth.User{ID: 2, Username: in.Credential, DisabledAt: time.Unix(1700000000, 0)}, nil
	}
	return auth.User{ID: 1, Username: in.Credential}, nil
}
func (fakeVerifier) PrepareSignup(_ context.Context, in auth.SignupInput) (auth.NewAccount, error) {
	return auth.NewAccount{Username: in.Username, Email: in.Email, PasswordHash: "h:" + in.Password}, nil
}
func (fakeVerifier) PrepareReset(_ context.Context, _ int64, pw string) (string, error) {
	return "h:" + pw, nil
}
func (fakeVerifier) PreparePasswordChange(_ context.Context, _ auth.User, in auth.ChangePasswordInput) (string, error) {
	if in.CurrentPassword != "right" {
		return "", errors.New("wrong current password")
	}
	return "h:" + in.NewPassword, nil
}

// fakeIssuer names each session after its user.
type fakeIssuer struct{}

func (fakeIssuer) New(u auth.User, ua string) (string, session.Session, error) {
	id := "s-" + u.Username
	return "token-" + id, session.Session{ID: id, UserID: u.ID, UserAgent: ua}, nil
}

// TestStart: every way in writes its changes, ends the session it replaces and records
// the new one in one transaction, and returns the token; when anything fails, nothing
// of it is kept.
func TestStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		run     func(*login.Service) (login.Started, error)
		failAt  string
		want    string // the committed writes, in order
		wantErr bool
	}{
		{"PasswordEndsTheReplacedSession", func(s *login.Service) (login.Started, error) {
			a, err := s.Password(ctx, auth.LoginInput{Credential: "ann", Password: "right"}, login.Client{UserAgent: "ua", Address: "10.0.0.9", Replaces: "old"})
			return a.Started, err
		}, "", "end old|insert s-ann ua|event login s-ann 10.0.0.9", false},
		{"WrongPasswordWritesNothing", func(s *login.Service) (login.Started, error) {
			a, err := s.Password(ctx, auth.LoginInput{Credential: "ann", Password: "wrong"}, login.Client{})
			return a.Started, err
		}, "", "", true},
		{"SignupCreatesTheUserWithItsSession", func(s *login.Service) (login.Started, error) {
			return s.Signup(ctx, auth.SignupInput{Username: "bob", Email: "b@x.io", Password: "pw"}, login.Client{UserAgent: "ua"})
		}, "", "create bob h:pw|insert s-bob ua|event signup s-bob ", false},
		{"SignupWhoseSessionFailsKeepsNoAccount", func(s *login.Service) (login.Started, error) {
			return s.Signup(ctx, auth.SignupInput{Username: "bob", Email: "b@x.io", Password: "pw"}, login.Client{})
		}, "insert", "", true},
		{"PasswordChangeEndsEverySessionAndStartsOne", func(s *login.Service) (login.Started, error) {
			u := auth.User{ID: 1, Username: "ann"}
			return s.ChangePassword(ctx, u, auth.ChangePasswordInput{CurrentPassword: "right", NewPassword: "new"}, login.Client{UserAgent: "ua", Replaces: "old"})
		}, "", "hash h:new|end all|end pending|void reset|insert s-ann ua|event password-changed s-ann ", false},
		{"PasswordChangeWhoseSessionFailsKeepsTheOldPassword", func(s *login.Service) (login.Started, error) {
			u := auth.User{ID: 1, Username: "ann"}
			return s.ChangePassword(ctx, u, auth.ChangePasswordInput{CurrentPassword: "right", NewPassword: "new"}, login.Client{})
		}, "insert", "", true},
		{"LoginWhoseEventFailsStartsNoSession", func(s *login.Service) (login.Started, error) {
			a, err := s.Password(ctx, auth.LoginInput{Credential: "ann", Password: "right"}, login.Client{UserAgent: "ua"})
			return a.Started, err
		}, "event", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &failingStore{failAt: tt.failAt}
			s := login.New(fakeVerifier{}, fakeIssuer{}, st)
			got, err := tt.run(s)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %v", err, tt.wantErr)
			}
			if w := strings.Join(st.committed, "|"); w != tt.want {
				t.Errorf("committed %q, want %q", w, tt.want)
			}
			if !tt.wantErr && (got.Token != "token-"+got.Session.ID || got.Session.UserID != got.User.ID) {
				t.Errorf("started %+v: want the session's own token and user", got)
			}
		})
	}
}

// failingStore runs each transaction on a fakeTx and keeps its writes only when fn
// succeeds, as a database would; its transactions fail at writes starting with failAt.
type failingStore struct {
	committed []string
	failAt    string
}

func (s *failingStore) InTx(ctx context.Context, fn func(login.Tx) error) error {
	tx := &fakeTx{failAt: s.failAt}
	if err := fn(tx); err != nil {
		return err
	}
	s.committed = append(s.committed, tx.writes...)
	return nil
}

// TestSignupWaitingForVerificationRecordsItsEvent: a sign-up that starts no session
// (verified addresses required) still records its event, with the account.
func TestSignupWaitingForVerificationRecordsItsEvent(t *testing.T) {
	t.Parallel()
	st := &failingStore{}
	s := login.New(fakeVerifier{}, fakeIssuer{}, st, login.RequireVerifiedEmail(true))
	got, err := s.Signup(context.Background(), auth.SignupInput{Username: "bob", Email: "b@x.io", Password: "pw"}, login.Client{Address: "10.0.0.9"})
	if err != nil || got.Token != "" {
		t.Fatalf("Signup = %+v, %v; want the user and no session", got, err)
	}
	if w := strings.Join(st.committed, "|"); w != "create bob h:pw|event signup  10.0.0.9" {
		t.Errorf("committed %q, want the account and its event", w)
	}
}

// TestPasswordOfADisabledAccount: the refusal comes only after a right password; a wrong
// one gets the answer every wrong password gets. Neither writes anything.
func TestPasswordOfADisabledAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name, password string
		want           error
	}{
		{"RightPasswordIsRefusedAsDisabled", "right", auth.ErrAccountDisabled},
		{"WrongPasswordIsInvalidCredentials", "wrong", auth.ErrInvalidCredentials},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &failingStore{}
			_, err := login.New(fakeVerifier{}, fakeIssuer{}, st).Password(ctx, auth.LoginInput{Credential: "disabled", Password: tt.password}, login.Client{})
			if !errors.Is(err, tt.want) {
				t.Errorf("Password = %v, want %v", err, tt.want)
			}
			if st.committed != nil {
				t.Errorf("wrote %v", st.committed)
			}
		})
	}
}

// fakePasskeys answers every passkey with id.
type fakePasskeys struct{ id login.Identity }

func (f fakePasskeys) VerifyLogin(context.Context, []byte, login.Client) (login.Identity, error) {
	return f.id, nil
}

// fakeFactors says every account has a second factor.
type fakeFactors struct{ login.NoSecondFactors }

func (fakeFactors) Enrolled(context.Context, int64) (bool, error) { return true, nil }

// TestPasskeyEndsLikeAPassword: after a right passkey the same refusals and the same
// second step apply as after a right password, from the one tail both share.
func TestPasskeyEndsLikeAPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ann := auth.User{ID: 7, Username: "ann", Email: "ann@x.io"}
	verified := ann
	verified.EmailVerifiedAt = time.Unix(1, 0)
	disabled := verified
	disabled.DisabledAt = time.Unix(2, 0)
	for _, tt := range []struct {
		name        string
		id          login.Identity
		opts        []login.Option
		wantErr     error
		wantPending bool
		wantWrites  string
	}{
		{"UnverifiedAddressRefusedWhenRequired", login.Identity{User: ann, Method: login.MethodPasskey, SecondFactor: true},
			[]login.Option{login.RequireVerifiedEmail(true)}, auth.ErrEmailUnverified, false, ""},
		{"DisabledAccountRefused", login.Identity{User: disabled, Method: login.MethodPasskey, SecondFactor: true}, nil, auth.ErrAccountDisabled, false, ""},
		{"WithoutVerificationTheCodeIsAsked", login.Identity{User: verified, Method: login.MethodPasskey},
			[]login.Option{login.WithSecondFactors(fakeFactors{}, nil)}, nil, true, "pending 5m0s"},
		{"WithVerificationItLogsIn", login.Identity{User: verified, Method: login.MethodPasskey, SecondFactor: true},
			[]login.Option{login.WithSecondFactors(fakeFactors{}, nil)}, nil, false, "insert s-ann ua|event login s-ann "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &failingStore{}
			s := login.New(fakeVerifier{}, fakeIssuer{}, st, append(tt.opts, login.WithPasskeys(fakePasskeys{tt.id}))...)
			a, err := s.Passkey(ctx, []byte("{}"), login.Client{UserAgent: "ua"})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Passkey = %v, want %v", err, tt.wantErr)
			}
			if (a.Pending != nil) != tt.wantPending {
				t.Errorf("pending %v, want %v", a.Pending, tt.wantPending)
			}
			if w := strings.Join(st.committed, "|"); w != tt.wantWrites {
				t.Errorf("committed %q, want %q", w, tt.wantWrites)
			}
		})
	}
}
