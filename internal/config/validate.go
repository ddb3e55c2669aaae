package config

import (
	"net/url"
	"strings"
)

// validHostName accepts a DNS name: dot-separated labels of letters, digits and
// hyphens, 1 to 63 long, not starting or ending with a hyphen, 253 at most in all. A
// name of digits and dots alone is a mistyped address, not a name.
func validHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	letter := false
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				letter = true
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return letter
}

// validOriginPattern accepts scheme://host[:port] with an optional :* port wildcard;
// no other wildcard (a host pattern like *.example.com would never match).
func validOriginPattern(o string) bool {
	rest, ok := strings.CutSuffix(o, ":*")
	u, err := url.Parse(rest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" ||
		u.RawQuery != "" || u.User != nil || strings.Contains(u.Host, "*") {
		return false
	}
	return !ok || u.Port() == ""
}

// validSchema keeps SCHEMA a plain identifier, since it is spliced into DDL and search_path.
func validSchema(s string) bool {
	if len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
