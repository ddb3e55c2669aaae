package mfa

import (
	"strings"
	"testing"
)

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes, hashes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes; want %d", len(codes), len(hashes), RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 29 || strings.Count(c, "-") != 5 || seen[c] {
			t.Errorf("code %q: want 6 groups of 4, all different", c)
		}
		seen[c] = true
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash %q holds its code", hashes[i])
		}
		for _, typed := range []string{c, strings.ToUpper(c), strings.ReplaceAll(c, "-", ""), strings.ReplaceAll(c, "-", " ")} {
			if h, ok := RecoveryCodeHash(typed); !ok || h != hashes[i] {
				t.Errorf("RecoveryCodeHash(%q) = %q, %v; want the code's hash", typed, h, ok)
			}
		}
	}
	for _, bad := range []string{"", "abcd", codes[0] + "a", strings.Replace(codes[0], codes[0][:1], "1", 1), "abcd-efgh-ijkl-mnop-qrst-uvw!"} {
		if _, ok := RecoveryCodeHash(bad); ok {
			t.Errorf("RecoveryCodeHash(%q) accepted what cannot be a code", bad)
		}
	}
}
