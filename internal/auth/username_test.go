package auth_test

import (
	"strings"
	"testing"

	"authme/internal/auth"
)

func TestUsernameMatchKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"CaseIsIgnored", "Demo-lition", "DEMO-LITION", true},
		{"FullwidthIsNarrow", "Demo-lition", "Ｄｅｍｏ-ｌｉｔｉｏｎ", true},
		{"ZeroWidthSpaceIsDropped", "Demo-lition", "Demo\u200b-lition", true},
		{"RightToLeftOverrideIsDropped", "Demo-lition", "Demo-lition\u202e", true},
		{"SurroundingSpacesAreDropped", "Demo-lition", "  Demo-lition ", true},
		{"InnerSpacesCountOnce", "John Smith", "John \u00a0 Smith", true},
		{"ComposedAndDecomposedAccentsAreOne", "D\u00e9mo-lition", "De\u0301mo-lition", true},
		{"LatinAccentsAreDropped", "Demo-lition", "Dèmô-lítîön", true},
		{"OverlayMarksAreDropped", "Demo-lition", "Demo\u0336-lition", true},
		{"CyrillicLettersInLatinName", "Demo-lition", "Dеmо-lition", true},
		{"GreekLettersInLatinName", "Demo-lition", "Dem\u03bf-l\u03b9tion", true},
		{"AllCyrillicLookAlike", "scope", "ѕсоре", true},
		{"AllCyrillicCapitalsLookAlike", "KOPA", "КОРА", true},
		{"CapitalIIsSmallL", "Demo-lition", "Demo-Iition", true},
		{"RVIsNotM", "Demo-lition", "Dervo-lition", false},
		{"rnIsm", "modern", "rnodern", true},
		{"ZeroIsO", "Demo-lition", "Dem0-lition", true},
		{"SharpSIsSS", "Straße", "STRASSE", true},
		{"MathBoldIsPlain", "Demo", "𝐃𝐞𝐦𝐨", true},

		{"DifferentNamesDiffer", "Demo-lition", "FakeUser1", false},
		{"PrefixDiffers", "Demo-lition", "Demo", false},
		{"AllCyrillicDemoIsDemo", "Demo", "Демо", true},
		{"AllCyrillicCapitalDemoIsDemo", "demo", "ДЕМО", true},
		{"DevanagariVowelSignsCount", "कुमार", "कमार", false},
		{"HebrewDiffers", "שלום", "שלוש", false},
		{"HanDiffers", "山田", "山本", false},
		{"OnlyTheFirstKilobyteCounts", strings.Repeat("a", auth.MatchKeyInputMax) + "b", strings.Repeat("a", auth.MatchKeyInputMax) + "c", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ka, kb := auth.UsernameMatchKey(tt.a), auth.UsernameMatchKey(tt.b)
			if (ka == kb) != tt.same {
				t.Errorf("keys of %q and %q: %q and %q; same = %v, want %v", tt.a, tt.b, ka, kb, ka == kb, tt.same)
			}
		})
	}
}

// TestUsernameKey: for a name the rules accept, the strict key is the match key, so a
// name found at log-in is the name signed up; a refused name gives the field's message.
func TestUsernameKey(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Demo-lition", "Ｄｅｍｏ-ｌｉｔｉｏｎ", "John Smith", "ѕсоре", "می\u200cخواهم", "𠀀𠀀𠀀𠀀"} {
		k, err := auth.UsernameKey(name)
		if err != nil || k != auth.UsernameMatchKey(name) || k == "" {
			t.Errorf("UsernameKey(%q) = %q, %v; want %q", name, k, err, auth.UsernameMatchKey(name))
		}
	}
	refused := map[string]string{
		"Demo\u200b-lition": auth.MsgUsernameInvisible,
		" Demo-lition":      auth.MsgUsernameSpaces,
		"Dеmо-lition":       auth.MsgUsernameMixedScripts,
		"abc":               auth.MsgUsernameLength,
		"demo@user.io":      auth.MsgUsernameNotEmail,
	}
	for name, msg := range refused {
		k, err := auth.UsernameKey(name)
		if got := fieldsOf(t, err); len(got) != 1 || got[0] != "username" {
			t.Errorf("UsernameKey(%q) = %q, %v; want a username error", name, k, err)
			continue
		}
		if e := err.(*auth.Error); e.Fields["username"] != msg {
			t.Errorf("UsernameKey(%q) message = %q, want %q", name, e.Fields["username"], msg)
		}
	}
}
