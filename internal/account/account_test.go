package account_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/session"
)

// fakeStore records deletions and fails them as told.
type fakeStore struct {
	deleted []int64
	err     error
}

func (f *fakeStore) DeleteAccount(_ context.Context, id int64) error {
	if f.err != nil {
		return f.err
	}
	f.deleted = append(f.deleted, id)
	return nil
}
func (f *fakeStore) AccountProfile(context.Context, int64) (account.Profile, error) {
	return account.Profile{}, auth.ErrNotFound
}
func (f *fakeStore) AccountSessions(context.Context, int64) ([]session.Session, error) {
	return nil, nil
}
func (f *fakeStore) AccountEvents(context.Context, int64) ([]events.Event, error) { return nil, nil }
func (f *fakeStore) AccountTokens(context.Context, int64) ([]account.Token, error) {
	return nil, nil
}
func (f *fakeStore) AccountMail(context.Context, int64) ([]account.Mail, error) { return nil, nil }
func (f *fakeStore) AccountSecondFactor(context.Context, int64) (account.SecondFactor, error) {
	return account.SecondFactor{}, nil
}
func (f *fakeStore) Passkeys(context.Context, int64) ([]auth.Passkey, error) { return nil, nil }
func (f *fakeStore) AccountThrottles(context.Context, int64) ([]account.Throttle, error) {
	return nil, nil
}

// passwords accepts only "right".
type passwords struct{}

func (passwords) CheckPassword(_ context.Context, _ auth.User, pw, field string) error {
	if pw != "right" {
		return &auth.Error{Code: auth.EInvalid, Message: auth.MsgBadRequest, Fields: map[string]string{field: auth.MsgCurrentPasswordWrong}}
	}
	return nil
}

func TestDelete(t *testing.T) {
	t.Parallel()
	u := auth.User{ID: 7, Username: "ann", Email: "ann@x.io"}
	for _, tc := range []struct {
		name, password string
		storeErr       error
		wantCode       string // "" for success
		wantDeleted    bool
	}{
		{"RightPasswordDeletesAndLogs", "right", nil, "", true},
		{"WrongPasswordTouchesNothing", "wrong", nil, auth.EInvalid, false},
		{"AReferencedAccountIsAConflict", "right", auth.ErrAccountReferenced, auth.EConflict, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			st := &fakeStore{err: tc.storeErr}
			s := account.New(st, passwords{}, slog.New(slog.NewTextHandler(&logs, nil)))
			err := s.Delete(context.Background(), u, tc.password, auth.Proof{}, events.Origin{Address: "192.0.2.1", SessionID: "s1"})
			if tc.wantCode == "" && err != nil || tc.wantCode != "" && auth.ErrorCode(err) != tc.wantCode {
				t.Fatalf("Delete = %v, want code %q", err, tc.wantCode)
			}
			if tc.storeErr != nil && !errors.Is(err, tc.storeErr) {
				t.Errorf("Delete = %v, want it to wrap %v", err, tc.storeErr)
			}
			if got := len(st.deleted) == 1; got != tc.wantDeleted {
				t.Errorf("deleted %v, want deleted: %v", st.deleted, tc.wantDeleted)
			}
			if logged := strings.Contains(logs.String(), "account deleted") && strings.Contains(logs.String(), "user_id=7"); logged != tc.wantDeleted {
				t.Errorf("log %q; want the deletion logged: %v", logs.String(), tc.wantDeleted)
			}
		})
	}
}

func TestExportOfAMissingAccountIsNotFound(t *testing.T) {
	t.Parallel()
	s := account.New(&fakeStore{}, passwords{}, nil)
	if _, err := s.Export(context.Background(), 7); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("Export = %v, want ErrNotFound", err)
	}
}
