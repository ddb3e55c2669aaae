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
	// BcryptMaxBytes is where bcrypt stops reading; longer passwords are refused, not cut.
	BcryptMaxBytes = 72
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

func usernameProblem(u string) string {
	n := utf8.RuneCountInString(u)
	switch {
	case n < UsernameMin || n > UsernameMax || !utf8.ValidString(u):
		return MsgUsernameLength
	case strings.IndexFunc(u, unicode.IsControl) >= 0:
		return MsgUsernameChars
	case IsEmail(u):
		return MsgUsernameNotEmail
	}
	return ""
}

// IsEmail reports whether s is a bare address (no display name, no comments) of 3–256
// characters whose domain has a dot, roughly what validator.js's isEmail accepts.
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
	if len(local) > 64 || strings.HasPrefix(domain, "[") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-2 && !strings.Contains(domain, "..")
}

// LoginInput is what a person gives to log in: a username or an email, and a password.
type LoginInput struct {
	Credential string
	Password   string
	// Device is the browser's known-device token, as Devices.Parse read it (zero when
	// it had none): it selects the throttle bucket, nothing else.
	Device Device
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
