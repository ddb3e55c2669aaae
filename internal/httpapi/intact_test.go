package httpapi

import "testing"

func TestLoneSurrogate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, json string
		lone       bool
	}{
		{"NoEscapes", `{"a":"plain"}`, false},
		{"OtherEscapes", `{"a":"\n\t\"\\\/\u0041\u00e9\ufffd"}`, false},
		{"Pair", `{"a":"\ud83d\ude00"}`, false},
		{"PairUpperCase", `{"a":"\uD83D\uDE00"}`, false},
		{"TwoPairs", `{"a":"\ud83d\ude00\udbff\udfff"}`, false},
		{"EscapedBackslashBeforeU", `{"a":"\\ud800"}`, false},
		{"HighAlone", `{"a":"\ud800"}`, true},
		{"HighAtTheVeryEnd", `\ud800`, true},
		{"LowAlone", `{"a":"\udc00"}`, true},
		{"LowThenHigh", `{"a":"\udfff\ud800"}`, true},
		{"HighThenHigh", `{"a":"\ud800\ud800"}`, true},
		{"HighThenBMP", `{"a":"\ud800\u0041"}`, true},
		{"HighThenText", `{"a":"\ud800abcdef"}`, true},
		{"HighThenOtherEscape", `{"a":"\ud800\n\udc00"}`, true},
		{"PairThenLow", `{"a":"\ud83d\ude00\ude00"}`, true},
		{"BackslashThenLone", `{"a":"\\\ud800"}`, true},
		{"TruncatedEscape", `{"a":"\ud8`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := loneSurrogate([]byte(tc.json)); got != tc.lone {
				t.Errorf("loneSurrogate(%s) = %v, want %v", tc.json, got, tc.lone)
			}
		})
	}
}
