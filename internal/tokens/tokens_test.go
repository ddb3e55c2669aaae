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
