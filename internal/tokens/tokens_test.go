package tokens

import (
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, hash, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if !WellFormed(tok) {
			t.Fatalf("New made %q, which WellFormed refuses", tok)
		}
		if hash != Hash(tok) || len(hash) != 64 {
			t.Fatalf("hash %q is not Hash(token)", hash)
		}
		if hash == tok {
			t.Fatal("the stored form is the token")
		}
		if seen[tok] {
			t.Fatal("a token came twice")
		}
		seen[tok] = true
	}
}

func TestWellFormed(t *testing.T) {
	tok, _, _ := New()
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"Fresh", tok, true},
		{"Empty", "", false},
		{"Short", tok[:42], false},
		{"Long", tok + "A", false},
		{"NotBase64URL", tok[:42] + "+", false},
		{"Padded", tok[:41] + "==", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := WellFormed(c.in); got != c.want {
				t.Errorf("WellFormed(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestStamp(t *testing.T) {
	base := Stamp("a@example.com", "$argon2id$hash")
	if !StampMatches(base, Stamp("a@example.com", "$argon2id$hash")) {
		t.Fatal("the same account gives another stamp")
	}
	for name, other := range map[string]string{
		"NewPassword": Stamp("a@example.com", "$argon2id$other"),
		"NewEmail":    Stamp("b@example.com", "$argon2id$hash"),
		"Shifted":     Stamp("a@example.com$argon2id", "$hash"),
	} {
		if StampMatches(base, other) {
			t.Errorf("%s: stamp unchanged", name)
		}
	}
}

func TestUsable(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	r := Record{ExpiresAt: now.Add(time.Minute)}
	if !r.Usable(now) || r.Usable(now.Add(time.Minute)) {
		t.Fatal("a token is usable until, and not at, its expiry")
	}
}

func TestAccountStamp(t *testing.T) {
	const email, hash = "Ann@Example.com", "$argon2id$old"
	tests := []struct {
		name     string
		purpose  string
		email    string
		hash     string
		voidsOld bool // the changed account no longer matches a token made before
	}{
		{"ResetVoidedByANewPassword", Reset, email, "$argon2id$new", true},
		{"ResetVoidedByANewAddress", Reset, "bob@example.com", hash, true},
		{"ResetKeptWhenOnlyTheCaseDiffers", Reset, "ann@example.COM", hash, false},
		{"ChangeVoidedByANewPassword", EmailChange, email, "$argon2id$new", true},
		{"VerifyKeptByANewPassword", Verify, email, "$argon2id$new", false},
		{"VerifyVoidedByANewAddress", Verify, "bob@example.com", hash, true},
		{"UndoBindsNothing", EmailUndo, "bob@example.com", "$argon2id$new", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := AccountStamp(tt.purpose, email, hash), AccountStamp(tt.purpose, tt.email, tt.hash)
			if voided := !StampMatches(before, after); voided != tt.voidsOld {
				t.Errorf("voided = %v, want %v", voided, tt.voidsOld)
			}
		})
	}
	if AccountStamp(Reset, email, hash) == AccountStamp(EmailChange, email, hash) {
		t.Error("a reset's stamp equals a change's: the purposes share stamps")
	}
}
