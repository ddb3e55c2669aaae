package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password-rule messages, one per rule (ASVS 6.2 and NIST SP 800-63B 3.1.1.2: length, a
// block list and context checks; no composition rules).
const (
	MsgPasswordCommon   = "This password is too common. Choose another."
	MsgPasswordPersonal = "Password cannot be your username or email."
	MsgPasswordBlank    = "Password cannot be only spaces."
	MsgPasswordRepeated = "Password cannot be one character or a short pattern repeated."
	MsgPasswordSequence = "Password cannot be a sequence such as abcdefgh, 12345678 or qwertyuiop."
	MsgPasswordService  = "Password cannot be the name of this service."
)

// ServiceName is the context word every password is checked against besides the
// account's own names.
const ServiceName = "authme"

// minContextWord is the shortest name a password may not be built on: shorter ones
// (an email's local part "jo") would refuse good passwords by accident.
const minContextWord = 4

// keyboardRows are the runs a finger makes along a US keyboard, one a line (the
// shifted digit row last). A password that is part of one, forwards or backwards, is a
// keyboard walk.
const keyboardRows = "`1234567890-=\nqwertyuiop[]\\\nasdfghjkl;'\nzxcvbnm,./\n~!@#$%^&*()_+"

// passwordProblem returns what is wrong with pw for an account with username and email,
// beyond its length, or "". The first rule that applies names the message.
func (c *CommonPasswords) passwordProblem(pw, username, email string) string {
	lower := strings.ToLower(pw)
	local, _, _ := strings.Cut(email, "@")
	switch {
	case strings.TrimFunc(pw, unicode.IsSpace) == "":
		return MsgPasswordBlank
	case builtOn(lower, username) || builtOn(lower, email) || builtOn(lower, local):
		return MsgPasswordPersonal
	case builtOn(lower, ServiceName):
		return MsgPasswordService
	case repeated(lower):
		return MsgPasswordRepeated
	case sequential(lower) || keyboardWalk(lower):
		return MsgPasswordSequence
	case c != nil && c.Contains(pw):
		return MsgPasswordCommon
	}
	return ""
}

// builtOn reports whether lowerPW is word (ignoring case), or word with only digits,
// symbols or spaces added around it ("Demo-lition!", "authme2024"). Words shorter than
// minContextWord count only when the password is exactly them.
func builtOn(lowerPW, word string) bool {
	word = strings.ToLower(word)
	if word == "" {
		return false
	}
	if lowerPW == word {
		return true
	}
	if utf8.RuneCountInString(word) < minContextWord {
		return false
	}
	i := strings.Index(lowerPW, word)
	if i < 0 {
		return false
	}
	return strings.IndexFunc(lowerPW[:i]+lowerPW[i+len(word):], unicode.IsLetter) < 0
}

// repeated reports whether pw is a unit shorter than PasswordMin written out at least
// twice, the last time perhaps in part: "aaaaaaaa", "abababab", "abcabcab".
func repeated(pw string) bool {
	r := []rune(pw)
	for unit := 1; unit < PasswordMin && 2*unit <= len(r); unit++ {
		if periodic(r, unit) {
			return true
		}
	}
	return false
}

func periodic(r []rune, unit int) bool {
	for i := unit; i < len(r); i++ {
		if r[i] != r[i-unit] {
			return false
		}
	}
	return true
}

// sequential reports whether each character of pw is the one after (or each the one
// before) the last: "abcdefgh", "12345678", "hgfedcba".
func sequential(pw string) bool {
	r := []rune(pw)
	if len(r) < 2 {
		return false
	}
	step := r[1] - r[0]
	if step != 1 && step != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if r[i]-r[i-1] != step {
			return false
		}
	}
	return true
}

// keyboardWalk reports whether pw is a run along one keyboard row, either way.
func keyboardWalk(pw string) bool {
	back := reverse(pw)
	for row := range strings.SplitSeq(keyboardRows, "\n") {
		if strings.Contains(row, pw) || strings.Contains(row, back) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
