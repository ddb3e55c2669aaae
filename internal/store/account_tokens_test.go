package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/login"
	"authme/internal/store"
	"authme/internal/testdb"
	"authme/internal/tokens"
)

// insertToken records a fresh token of purpose for userID, made at now, and returns it.
func insertToken(t *testing.T, db *store.DB, userID int64, purpose string, ttl time.Duration) string {
	t.Helper()
	tok, hash, err := tokens.New()
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(context.Background(), func(tx login.Tx) error {
		return tx.InsertToken(context.Background(), tokens.Record{
			Hash: hash, UserID: userID, Purpose: purpose, Email: "a@example.com", Stamp: "s",
			CreatedAt: now, ExpiresAt: now.Add(ttl),
		})
	})
	if err != nil {
		t.Fatalf("insert %s token: %v", purpose, err)
	}
	return tok
}

// redeem spends tok for purpose at at, in a transaction of its own.
func redeem(db *store.DB, tok, purpose string, at time.Time) (tokens.Record, error) {
	var r tokens.Record
	err := db.InTx(context.Background(), func(tx login.Tx) error {
		var err error
		r, err = tx.RedeemToken(context.Background(), tokens.Hash(tok), purpose, at)
		return err
	})
	return r, err
}

func TestAccountTokens(t *testing.T) {
	ctx := context.Background()
	eachTarget(t, func(t *testing.T, tg testdb.Target) {
		db := tg.Migrated(t)
		u, err := testdb.CreateUser(ctx, db, "tokenowner", "a@example.com", fakeHash)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("PeekReadsWithoutSpending", func(t *testing.T) {
			tok := insertToken(t, db, u.ID, tokens.Reset, time.Hour)
			r, err := db.PeekToken(ctx, tokens.Hash(tok), tokens.Reset)
			if err != nil || r.UserID != u.ID || r.Stamp != "s" || !r.ExpiresAt.Equal(now.Add(time.Hour)) {
				t.Fatalf("PeekToken = %+v, %v", r, err)
			}
			if _, err := redeem(db, tok, tokens.Reset, now); err != nil {
				t.Fatalf("redeem after peek: %v", err)
			}
		})

		t.Run("RedeemedOnce", func(t *testing.T) {
			tok := insertToken(t, db, u.ID, tokens.Verify, time.Hour)
			if _, err := redeem(db, tok, tokens.Verify, now); err != nil {
				t.Fatalf("first redeem: %v", err)
			}
			if _, err := redeem(db, tok, tokens.Verify, now); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("second redeem: %v, want ErrNotFound", err)
			}
		})

		t.Run("ConcurrentRedeemsOnlyOneWins", func(t *testing.T) {
			tok := insertToken(t, db, u.ID, tokens.Reset, time.Hour)
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := redeem(db, tok, tokens.Reset, now); err == nil {
						mu.Lock()
						won++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if won != 1 {
				t.Fatalf("%d redeems of one token succeeded, want 1", won)
			}
		})

		t.Run("OnlyForItsPurpose", func(t *testing.T) {
			tok := insertToken(t, db, u.ID, tokens.Verify, time.Hour)
			if _, err := redeem(db, tok, tokens.Reset, now); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("a verification token redeemed as a reset: %v", err)
			}
		})

		t.Run("ExpiredIsRefusedAndGone", func(t *testing.T) {
			tok := insertToken(t, db, u.ID, tokens.Reset, time.Minute)
			if _, err := redeem(db, tok, tokens.Reset, now.Add(time.Minute)); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("expired redeem: %v, want ErrNotFound", err)
			}
		})

		t.Run("DeleteTokensVoidsOnlyThePurposes", func(t *testing.T) {
			reset := insertToken(t, db, u.ID, tokens.Reset, time.Hour)
			undo := insertToken(t, db, u.ID, tokens.EmailUndo, time.Hour)
			err := db.InTx(ctx, func(tx login.Tx) error { return tx.DeleteTokens(ctx, u.ID, tokens.Reset, tokens.Verify) })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.PeekToken(ctx, tokens.Hash(reset), tokens.Reset); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("reset token survived DeleteTokens: %v", err)
			}
			if _, err := db.PeekToken(ctx, tokens.Hash(undo), tokens.EmailUndo); err != nil {
				t.Errorf("undo token deleted with the others: %v", err)
			}
		})

		t.Run("PurgeDeletesOnlyExpired", func(t *testing.T) {
			live := insertToken(t, db, u.ID, tokens.EmailChange, 2*time.Hour)
			insertToken(t, db, u.ID, tokens.Verify, time.Minute)
			if n, err := db.PurgeExpiredTokens(ctx, now.Add(time.Hour)); err != nil || n < 1 {
				t.Fatalf("PurgeExpiredTokens = %d, %v", n, err)
			}
			if _, err := db.PeekToken(ctx, tokens.Hash(live), tokens.EmailChange); err != nil {
				t.Fatalf("a live token was purged: %v", err)
			}
		})

		t.Run("SetEmailToATakenAddressNamesOnlyTheEmail", func(t *testing.T) {
			other, err := testdb.CreateUser(ctx, db, "someoneelse", "taken@example.com", fakeHash)
			if err != nil {
				t.Fatal(err)
			}
			err = db.InTx(ctx, func(tx login.Tx) error { return tx.SetEmail(ctx, u, "TAKEN@example.com", now) })
			var ae *auth.Error
			if !errors.As(err, &ae) || ae.Code != auth.EConflict || len(ae.Fields) != 1 || ae.Fields["email"] == "" {
				t.Fatalf("SetEmail to %s's address: %v, want a conflict on email alone", other.Username, err)
			}
		})

		t.Run("SetEmailMarksItVerified", func(t *testing.T) {
			err := db.InTx(ctx, func(tx login.Tx) error { return tx.SetEmail(ctx, u, "new@example.com", now) })
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.UserByEmail(ctx, "NEW@example.com")
			if err != nil || got.ID != u.ID || !got.EmailVerifiedAt.Equal(now) {
				t.Fatalf("UserByEmail after SetEmail = %+v, %v", got, err)
			}
		})
	})
}
