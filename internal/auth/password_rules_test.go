package auth

import "testing"

// TestPasswordRules: each NIST SP 800-63B context check refuses what it should with its
// own message, and leaves good passwords alone.
func TestPasswordRules(t *testing.T) {
	t.Parallel()
	common := NewCommonPasswords()
	const user, email = "Demo-lition", "demo.person@user.io"
	tests := []struct {
		name, pw, want string
		email          string // when not the one above
	}{
		{"EightSpacesAreBlank", "        ", MsgPasswordBlank, ""},
		{"TabsAndSpacesAreBlank", " \t \t \u00a0  \t", MsgPasswordBlank, ""},

		{"UsernameIsPersonal", "demo-LITION", MsgPasswordPersonal, ""},
		{"UsernameWithDigitsIsPersonal", "Demo-lition2024", MsgPasswordPersonal, ""},
		{"UsernameWithSymbolsIsPersonal", "!Demo-lition!", MsgPasswordPersonal, ""},
		{"EmailIsPersonal", "Demo.Person@User.io", MsgPasswordPersonal, ""},
		{"EmailLocalPartIsPersonal", "DEMO.PERSON", MsgPasswordPersonal, ""},
		{"EmailLocalPartWithDigitsIsPersonal", "demo.person99", MsgPasswordPersonal, ""},

		{"ServiceNameWithDigitsIsRefused", "authme2024", MsgPasswordService, ""},
		{"ServiceNameWithSymbolsIsRefused", "AuthMe!!!", MsgPasswordService, ""},

		{"OneCharacterRepeated", "aaaaaaaaaa", MsgPasswordRepeated, ""},
		{"OneDigitRepeated", "77777777", MsgPasswordRepeated, ""},
		{"TwoCharactersRepeated", "abababab", MsgPasswordRepeated, ""},
		{"ThreeCharactersRepeatedWithAPartialTail", "xyzxyzxy", MsgPasswordRepeated, ""},
		{"RepeatedIgnoringCase", "AbcDaBcDabcd", MsgPasswordRepeated, ""},
		{"SevenCharactersTwice", "dolphindolphin", MsgPasswordRepeated, ""},

		{"LettersAscending", "abcdefghij", MsgPasswordSequence, ""},
		{"LettersDescending", "JIHGFEDCBA", MsgPasswordSequence, ""},
		{"DigitsAscending", "12345678", MsgPasswordSequence, ""},
		{"DigitsDescending", "9876543210", MsgPasswordSequence, ""},
		{"KeyboardRow", "qwertyuiop", MsgPasswordSequence, ""},
		{"KeyboardRowBackwards", "lkjhgfdsa", MsgPasswordSequence, ""},
		{"KeyboardDigitRowWithSymbols", "567890-=", MsgPasswordSequence, ""},
		{"ShiftedDigitRow", "!@#$%^&*", MsgPasswordSequence, ""},

		{"CommonIsRefused", "baseball1", MsgPasswordCommon, ""},

		{"PassphraseIsAccepted", "tidal-basin-47", "", ""},
		{"LongerRepeatedUnitIsAccepted", "Tr0ub4dorTr0ub4dor", "", ""},
		{"SequenceInsideMoreIsAccepted", "abcdefgh-river-stone", "", ""},
		{"NameInsideWordsIsAccepted", "authme is my favourite", "", ""},
		{"SpacesAroundWordsAreAccepted", "  correct horse  ", "", ""},
		{"ShortLocalPartAddedToIsAccepted", "jo-likes-tea", "", "jo@user.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := email
			if tt.email != "" {
				e = tt.email
			}
			if got := common.passwordProblem(tt.pw, user, e); got != tt.want {
				t.Errorf("passwordProblem(%q) = %q, want %q", tt.pw, got, tt.want)
			}
		})
	}
}
