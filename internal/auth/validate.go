package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits from the seed's model, with authme's password bounds.
const (
	UsernameMin = 4
	UsernameMax = 30
	EmailMin    = 3
	EmailMax    = 256
	PasswordMin = 8
	PasswordMax = 256 // characters, so 64 four-byte characters fit with room to spare
)

// Field messages, worded like the authenticate-me validators.
const (
	MsgUsernameLength   = "Please provide a username with 4 to 30 characters."
	MsgUsernameNotEmail = "Username cannot be an email."
	MsgUsernameChars    = "Username cannot contain control characters."
	MsgEmailInvalid     = "Please provide a valid email."
	MsgPasswordLength   = "Password must be 8 to 256 characters."
	MsgPasswordBcrypt   = "Password must be at most 72 bytes."
	MsgCredential       = "Email or username is required"
	MsgPassword         = "Password is required"
)

// SignupInput is what a person gives to create an account.
type SignupInput struct {
	Username string
	Email    string
	Password string
}

// Validate checks every field and returns an EInvalid *Error naming each one at fault,
// or nil.
func (in SignupInput) Validate() error {
	f := map[string]string{}
	if m := usernameProblem(in.Username); m != "" {
		f["username"] = m
	}
	if !IsEmail(in.Email) {
		f["email"] = MsgEmailInvalid
	}
	if n := utf8.RuneCountInString(in.Password); n < PasswordMin || n > PasswordMax {
		f["password"] = MsgPasswordLength
	}
	if len(f) > 0 {
		return invalid(f)
	}
	return nil
}

// IsEmail reports whether s is a bare address (no display name, no comments) of 3–256
// characters whose domain is a host name of at least two labels, roughly what
// validator.js's isEmail accepts.
func IsEmail(s string) bool {
	if n := utf8.RuneCountInString(s); n < EmailMin || n > EmailMax || !utf8.ValidString(s) {
		return false
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	return len(local) <= 64 && isHostName(domain)
}

// isHostName reports whether domain is a DNS host name (RFC 1123 §2.1, RFC 5890 for
// letters beyond ASCII): at most 253 bytes, two or more dot-separated labels of 1–63
// letters, digits and inner hyphens, the last of at least two letters (or an xn--
// label). Underscores, IP literals and labels starting or ending with '-' are refused.
func isHostName(domain string) bool {
	if len(domain) > 253 {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		if strings.IndexFunc(l, func(r rune) bool { return r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return true
	}
	return utf8.RuneCountInString(tld) >= 2 && strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}

// LoginInput is what a person gives to log in: a username or an email, and a password.
type LoginInput struct {
	Credential string
	Password   string
	// Device is the browser's known-device token, as Devices.Parse read it (zero when
	// it had none): it selects the throttle bucket, nothing else.
	Device Device
	// Address and UserAgent are the client's, told to the failure observer only
	// (WithFailureObserver).
	Address, UserAgent string
}

// Validate reports the missing fields as an EInvalid *Error, or nil.
func (in LoginInput) Validate() error {
	f := map[string]string{}
	if strings.TrimSpace(in.Credential) == "" {
		f["credential"] = MsgCredential
	}
	if in.Password == "" {
		f["password"] = MsgPassword
	}
	if len(f) > 0 {
		return invalid(f)
	}
	return nil
}
