package auth

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Usernames are stored as typed and compared on a key. The rules follow RFC 8265
// (PRECIS), whose UsernameCaseMapped profile maps width (Ｄｅｍｏ is Demo), lower-cases and
// normalises to NFC, and refuses spaces, symbols, invisible and compatibility characters.
// RFC 8265 §3.1 lets a username be several such "userparts" joined by single spaces,
// so "John Smith" stays possible while " Demo", "Demo " and "Demo  lition" are refused.
//
// PRECIS was chosen over NFKC with case folding because it is the standard profile for
// usernames and refuses what NFKC would silently keep (spaces, symbols, emoji, format
// characters); it keeps ß as ß where case folding makes it ss, but the key below maps ß
// to SS on its way through upper case, so Straße and STRASSE are still one name.
//
// The key adds Unicode TS #39's confusable skeleton, so names that merely look alike
// (Cyrillic ѕсоре beside Latin scope, rn beside m, I beside l) share a key and the
// database's unique index on it refuses the second, and it drops accents on Latin, Greek
// and Cyrillic letters (Demò-lition is Demo-lition). The key is for comparing only; it
// is never shown.

// MatchKeyInputMax bounds the work of UsernameMatchKey (about a quarter of a
// millisecond per kilobyte): no username or email is longer, so a longer credential
// cannot find an account by the rest.
const MatchKeyInputMax = 4 * EmailMax

// Messages for the username rules beyond length.
const (
	MsgUsernameInvisible    = "Username cannot contain invisible or direction-changing characters."
	MsgUsernameSpaces       = "Username cannot start or end with a space, and words must be separated by one plain space."
	MsgUsernameSymbols      = "Username can contain letters, digits and ASCII punctuation, but not other symbols or emoji."
	MsgUsernameMark         = "Username cannot start a word with an accent or other combining mark."
	MsgUsernameBidi         = "Username mixes right-to-left and left-to-right letters in a way that can display misleadingly."
	MsgUsernameMixedScripts = "Username mixes scripts in a way that imitates another name."
)

// UsernameKey returns the comparison key of a username that today's rules accept, or an
// EInvalid *Error saying why they refuse it. Two accepted names with one key are taken
// for the same account.
func UsernameKey(s string) (string, error) {
	if m := usernameProblem(s); m != "" {
		return "", invalid(map[string]string{"username": m})
	}
	return UsernameMatchKey(s), nil
}

// UsernameMatchKey returns the comparison key of any string: a name stored before
// today's rules, or a credential typed at log-in. What cannot be seen (controls, format
// and bidi characters) is dropped and runs of spaces become one, so a look-alike finds
// the account it imitates. For a name UsernameKey accepts, both return the same key; ""
// means nothing comparable is left. Only the first MatchKeyInputMax bytes count.
func UsernameMatchKey(s string) string {
	if len(s) > MatchKeyInputMax {
		s = s[:MatchKeyInputMax]
	}
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if invisible(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	// PRECIS UsernameCaseMapped's mappings (RFC 8265 §3.3.2), without its refusals.
	s = width.Fold.String(s)
	s = cases.Lower(language.Und, cases.HandleFinalSigma(false)).String(s)
	s = norm.NFC.String(s)
	// Case is ignored, but look-alikes may hide in either case: Cyrillic КОРА is KOPA
	// only in capitals, rn is m only in lower case. Going through the skeleton of the
	// capitals and then the skeleton of their lower case catches both.
	s = cases.Upper(language.Und).String(s)
	s = confusables.Skeleton(s)
	s = cases.Lower(language.Und, cases.HandleFinalSigma(false)).String(s)
	s = confusables.Skeleton(s)
	return extraLookAlikes.Replace(dropAccents(s))
}

// extraLookAlikes are look-alikes that Unicode's confusables data does not list but
// that make a whole name in one script pass for a name in another: Cyrillic Д (de),
// drawn as a D with feet, makes Демо read as Demo. The key is lower case by now.
var extraLookAlikes = strings.NewReplacer("д", "d")

// dropAccents removes the combining marks that follow Latin, Greek, Cyrillic or common
// characters in s (which is NFD, as skeletons are). In those scripts a mark is an accent
// that is easy to miss; in others (Devanagari, Arabic, Thai…) marks are vowels and keep
// names apart.
func dropAccents(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	drop := true // a mark with no base before it
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
			if !drop {
				b.WriteRune(r)
			}
			continue
		}
		drop = unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Common, unicode.Inherited)
		b.WriteRune(r)
	}
	return b.String()
}

// invisible reports whether r is drawn as nothing or only changes how text around it is
// drawn: format characters (zero-width spaces and joiners, bidi overrides and
// isolates, the BOM), variation selectors and the other default-ignorable code points.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// usernameProblem returns the message for the first rule s breaks, or "".
func usernameProblem(u string) string {
	n := utf8.RuneCountInString(u)
	switch {
	case n < UsernameMin || n > UsernameMax || !utf8.ValidString(u):
		return MsgUsernameLength
	case strings.IndexFunc(u, unicode.IsControl) >= 0:
		return MsgUsernameChars
	case strings.IndexFunc(u, func(r rune) bool { return invisible(r) && r != zwnj && r != zwj }) >= 0:
		return MsgUsernameInvisible
	case badSpaces(u):
		return MsgUsernameSpaces
	case IsEmail(u):
		return MsgUsernameNotEmail
	}
	for part := range strings.SplitSeq(u, " ") {
		if r, _ := utf8.DecodeRuneInString(part); unicode.In(r, unicode.M) {
			return MsgUsernameMark
		}
		// ZWNJ and ZWJ are allowed by PRECIS only where a script needs them (after a
		// virama, between joining Arabic letters); it refuses them anywhere else.
		if _, err := precis.UsernameCaseMapped.String(part); err != nil {
			switch {
			case strings.ContainsRune(part, zwnj) || strings.ContainsRune(part, zwj):
				return MsgUsernameInvisible
			case errors.Is(err, bidirule.ErrInvalid) && strings.IndexFunc(part, rightToLeft) >= 0:
				return MsgUsernameBidi
			}
			return MsgUsernameSymbols
		}
	}
	if mixesScripts(u) {
		return MsgUsernameMixedScripts
	}
	return ""
}

// rightToLeft reports whether r is a Hebrew, Arabic or other right-to-left letter.
func rightToLeft(r rune) bool {
	p, _ := bidi.LookupRune(r)
	return p.Class() == bidi.R || p.Class() == bidi.AL
}

const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

// badSpaces reports a space other than U+0020, or U+0020 at either end or twice in a row.
func badSpaces(u string) bool {
	if strings.HasPrefix(u, " ") || strings.HasSuffix(u, " ") || strings.Contains(u, "  ") {
		return true
	}
	return strings.IndexFunc(u, func(r rune) bool { return r != ' ' && unicode.IsSpace(r) || unicode.In(r, unicode.Z) && r != ' ' }) >= 0
}

// mixesScripts applies Unicode TS #39's "moderately restrictive" level (§5.2): a name
// is in one script, or Latin with Han and the Japanese kana, or Latin with Han and
// Bopomofo or Hangul, or Latin with one other script that is neither Cyrillic nor Greek
// (whose letters imitate Latin ones). Common and inherited characters (digits,
// punctuation, combining marks) belong to every script.
func mixesScripts(u string) bool {
	seen := map[string]bool{}
	for _, r := range width.Fold.String(u) {
		if name := scriptOf(r); name != "" {
			seen[name] = true
		}
	}
	if len(seen) <= 1 {
		return false
	}
	delete(seen, "Latin")
	cjk := func(allowed ...string) bool {
		n := 0
		for _, a := range allowed {
			if seen[a] {
				n++
			}
		}
		return n == len(seen)
	}
	switch {
	case cjk("Han", "Hiragana", "Katakana"), cjk("Han", "Bopomofo"), cjk("Han", "Hangul"):
		return false
	case len(seen) == 1 && !seen["Cyrillic"] && !seen["Greek"]:
		return false
	}
	return true
}

// scriptOf names r's script, or "" for Common and Inherited characters.
func scriptOf(r rune) string {
	switch {
	case unicode.In(r, unicode.Common, unicode.Inherited):
		return ""
	case unicode.Is(unicode.Latin, r):
		return "Latin"
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return "Unknown"
}
