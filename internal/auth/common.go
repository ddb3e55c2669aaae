package auth

import (
	_ "embed"
	"sort"
	"strings"
)

// commonPasswordsText is the 30,000 most common passwords of zxcvbn's list (ranked from
// Xato's corpus of 10 million leaked passwords), one per line, lower case. Source and
// licence: docs/security-rules.md, "Password rules".
//
//go:embed common_passwords.txt
var commonPasswordsText string

// CommonPasswords answers whether a password is on the common list. It holds the list
// sorted, for binary search, rather than as a map: a third of the memory.
type CommonPasswords struct {
	sorted []string
}

// NewCommonPasswords loads the embedded list.
func NewCommonPasswords() *CommonPasswords {
	list := strings.Fields(commonPasswordsText)
	sort.Strings(list)
	return &CommonPasswords{sorted: list}
}

// Len is the number of passwords on the list.
func (c *CommonPasswords) Len() int { return len(c.sorted) }

// Contains reports whether pw, ignoring case, is on the list.
func (c *CommonPasswords) Contains(pw string) bool {
	pw = strings.ToLower(pw)
	i := sort.SearchStrings(c.sorted, pw)
	return i < len(c.sorted) && c.sorted[i] == pw
}
