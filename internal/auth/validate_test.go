package auth_test

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"authme/internal/auth"
)

// fieldsOf returns the sorted field names of err, which must be an EInvalid *auth.Error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	if e.Code != auth.EInvalid {
		t.Fatalf("error code = %q, want %q", e.Code, auth.EInvalid)
	}
	if e.Message != auth.MsgBadRequest {
		t.Errorf("error message = %q, want %q", e.Message, auth.MsgBadRequest)
	}
	names := make([]string, 0, len(e.Fields))
	for f, msg := range e.Fields {
		if msg == "" {
			t.Errorf("field %q has no message", f)
		}
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}

// checkFields fails unless err names exactly want (nil want: err must be nil).
func checkFields(t *testing.T, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("Validate = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Validate = nil, want an error naming %v", want)
	}
	sort.Strings(want)
	if got := fieldsOf(t, err); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Validate names fields %v, want exactly %v (error: %v)", got, want, err)
	}
}

// email256 is a valid address of exactly 256 characters: 64 + "@" + 191.
var email256 = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 59) + ".com"

func TestSignupInputValidate(t *testing.T) {
	t.Parallel()
	if n := len(email256); n != 256 {
		t.Fatalf("email256 is %d characters, want 256", n)
	}
	ok := auth.SignupInput{Username: "Demo-lition", Email: "demo@user.io", Password: "password"}
	with := func(f func(*auth.SignupInput)) auth.SignupInput {
		in := ok
		f(&in)
		return in
	}
	user := func(u string) auth.SignupInput { return with(func(in *auth.SignupInput) { in.Username = u }) }
	email := func(e string) auth.SignupInput { return with(func(in *auth.SignupInput) { in.Email = e }) }
	pass := func(p string) auth.SignupInput { return with(func(in *auth.SignupInput) { in.Password = p }) }

	tests := []struct {
		name   string
		in     auth.SignupInput
		fields []string // the fields at fault; none: valid
		msg    map[string]string
	}{
		{"SeedDemoUserIsValid", ok, nil, nil},
		{"Username4CharsIsValid", user("abcd"), nil, nil},
		{"Username30CharsIsValid", user(strings.Repeat("u", 30)), nil, nil},
		{"Username30FourByteCharsIsValid", user(strings.Repeat("𠀀", 30)), nil, nil},
		{"UsernameWithOneSpaceBetweenWordsIsValid", user("John Smith"), nil, nil},
		{"UsernameFullwidthIsValid", user("Ｊｏｈｎ"), nil, nil},
		{"UsernameWithAccentsIsValid", user("José-Müller"), nil, nil},
		{"UsernameCyrillicIsValid", user("Дмитрий"), nil, nil},
		{"UsernameGreekIsValid", user("Αλέξανδρος"), nil, nil},
		{"UsernameHebrewIsValid", user("שלום123"), nil, nil},
		{"UsernamePersianWithZWNJIsValid", user("می\u200cخواهم"), nil, nil},
		{"UsernameDevanagariIsValid", user("नमस्ते"), nil, nil},
		{"UsernameJapaneseWithLatinIsValid", user("山田たろうTaro"), nil, nil},
		{"UsernameLatinWithArmenianIsValid", user("Davidդավիթ"), nil, nil},
		{"UsernameASCIIPunctuationIsValid", user("demo_user.1!"), nil, nil},
		{"UsernameZeroWidthSpaceIsRefused", user("Demo\u200b-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameZeroWidthJoinerIsRefused", user("Demo\u200d-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameRightToLeftOverrideIsRefused", user("Demo-lition\u202e"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameBidiIsolateIsRefused", user("\u2067Demo-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameSoftHyphenIsRefused", user("Demo\u00ad-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameVariationSelectorIsRefused", user("Demo\ufe0f-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameHangulFillerIsRefused", user("Demoㅤlition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameInvisible}},
		{"UsernameLeadingSpaceIsRefused", user(" Demo-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameSpaces}},
		{"UsernameTrailingSpaceIsRefused", user("Demo-lition "), []string{"username"}, map[string]string{"username": auth.MsgUsernameSpaces}},
		{"UsernameTwoSpacesIsRefused", user("Demo  lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameSpaces}},
		{"UsernameNoBreakSpaceIsRefused", user("Demo\u00a0lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameSpaces}},
		{"UsernameIdeographicSpaceIsRefused", user("Demo\u3000lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameSpaces}},
		{"UsernameEmojiIsRefused", user(strings.Repeat("🔑", 4)), []string{"username"}, map[string]string{"username": auth.MsgUsernameSymbols}},
		{"UsernameEnDashIsRefused", user("Demo–lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameSymbols}},
		{"UsernameMathLettersAreRefused", user("𝐃𝐞𝐦𝐨-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameSymbols}},
		{"UsernameLeadingCombiningMarkIsRefused", user("́Demo-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameMark}},
		{"UsernameMisleadingBidiIsRefused", user("1שלום"), []string{"username"}, map[string]string{"username": auth.MsgUsernameBidi}},
		{"UsernameLatinWithCyrillicIsRefused", user("Dеmо-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameMixedScripts}},
		{"UsernameLatinWithGreekIsRefused", user("Demο-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameMixedScripts}},
		{"UsernameCyrillicWithLatinSuffixIsRefused", user("Демо-lition"), []string{"username"}, map[string]string{"username": auth.MsgUsernameMixedScripts}},
		{"UsernameCyrillicWithGreekIsRefused", user("Дмитρий"), []string{"username"}, map[string]string{"username": auth.MsgUsernameMixedScripts}},
		{"Username3CharsIsRefused", user("abc"), []string{"username"}, map[string]string{"username": auth.MsgUsernameLength}},
		{"Username31CharsIsRefused", user(strings.Repeat("u", 31)), []string{"username"}, map[string]string{"username": auth.MsgUsernameLength}},
		{"UsernameEmptyIsRefused", user(""), []string{"username"}, nil},
		{"UsernameEmailIsRefused", user("demo@user.io"), []string{"username"}, map[string]string{"username": auth.MsgUsernameNotEmail}},
		{"UsernameNULIsRefused", user("demo\x00user"), []string{"username"}, map[string]string{"username": auth.MsgUsernameChars}},
		{"UsernameNewlineIsRefused", user("demo\nuser"), []string{"username"}, map[string]string{"username": auth.MsgUsernameChars}},
		{"UsernameTabIsRefused", user("demo\tuser"), []string{"username"}, map[string]string{"username": auth.MsgUsernameChars}},
		{"UsernameDELIsRefused", user("demo\x7fuser"), []string{"username"}, map[string]string{"username": auth.MsgUsernameChars}},
		{"UsernameC1ControlIsRefused", user("demo\u0085user"), []string{"username"}, map[string]string{"username": auth.MsgUsernameChars}},
		{"UsernameInvalidUTF8IsRefused", user("demo\xffuser"), []string{"username"}, nil},

		{"Email256CharsIsValid", email(email256), nil, nil},
		{"EmailWithPlusAndSubdomainIsValid", email("demo+tag@mail.user.io"), nil, nil},
		{"Email257CharsIsRefused", email("a" + email256), []string{"email"}, map[string]string{"email": auth.MsgEmailInvalid}},
		{"EmailEmptyIsRefused", email(""), []string{"email"}, nil},
		{"EmailWithoutAtIsRefused", email("demo.user.io"), []string{"email"}, nil},
		{"EmailWithoutTLDIsRefused", email("demo@user"), []string{"email"}, nil},
		{"EmailOneLetterTLDIsRefused", email("demo@user.i"), []string{"email"}, nil},
		{"EmailDisplayNameIsRefused", email("Demo <demo@user.io>"), []string{"email"}, nil},
		{"EmailQuotedDisplayNameIsRefused", email(`"Demo Lition" <demo@user.io>`), []string{"email"}, nil},
		{"EmailAngleBracketsIsRefused", email("<demo@user.io>"), []string{"email"}, nil},
		{"EmailCommentIsRefused", email("demo@user.io (Demo)"), []string{"email"}, nil},
		{"EmailSpaceIsRefused", email("demo user@user.io"), []string{"email"}, nil},
		{"EmailLeadingSpaceIsRefused", email(" demo@user.io"), []string{"email"}, nil},
		{"EmailTwoAtsIsRefused", email("demo@@user.io"), []string{"email"}, nil},
		{"EmailDoubleDotDomainIsRefused", email("demo@user..io"), []string{"email"}, nil},
		{"EmailNoLocalPartIsRefused", email("@user.io"), []string{"email"}, nil},
		{"EmailNoDomainIsRefused", email("demo@"), []string{"email"}, nil},
		{"EmailIPLiteralIsRefused", email("demo@[127.0.0.1]"), []string{"email"}, nil},
		{"EmailLocalPartOver64IsRefused", email(strings.Repeat("a", 65) + "@user.io"), []string{"email"}, nil},
		{"EmailControlCharIsRefused", email("demo\x00@user.io"), []string{"email"}, nil},
		{"EmailTwoAddressesIsRefused", email("demo@user.io, user1@user.io"), []string{"email"}, nil},
		{"EmailDomainLeadingHyphenIsRefused", email("a@-example.com"), []string{"email"}, map[string]string{"email": auth.MsgEmailInvalid}},

		{"Password7CharsIsRefused", pass("passwor"), []string{"password"}, map[string]string{"password": auth.MsgPasswordLength}},
		{"Password8CharsIsValid", pass("password"), nil, nil},
		{"Password256CharsIsValid", pass(strings.Repeat("p", 256)), nil, nil},
		{"Password257CharsIsRefused", pass(strings.Repeat("p", 257)), []string{"password"}, map[string]string{"password": auth.MsgPasswordLength}},
		{"Password64FourByteCharsIsValid", pass(strings.Repeat("🔑", 64)), nil, nil},
		{"Password7FourByteCharsIsRefused", pass(strings.Repeat("🔑", 7)), []string{"password"}, nil},
		{"PasswordEmptyIsRefused", pass(""), []string{"password"}, nil},

		{"EveryFieldAtFaultIsNamed", auth.SignupInput{Username: "ab", Email: "nope", Password: "short"}, []string{"username", "email", "password"}, nil},
		{"EmptyInputNamesEveryField", auth.SignupInput{}, []string{"username", "email", "password"}, nil},
		{"EmailAsUsernameNamesOnlyUsername", auth.SignupInput{Username: "user1@user.io", Email: "user1@user.io", Password: "password"}, []string{"username"}, nil},
		{"UsernameAndPasswordAtFault", auth.SignupInput{Username: "abc", Email: "demo@user.io", Password: "1234567"}, []string{"username", "password"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Validate()
			checkFields(t, err, tt.fields...)
			if len(tt.msg) == 0 {
				return
			}
			var e *auth.Error
			errors.As(err, &e)
			for f, want := range tt.msg {
				if got := e.Fields[f]; got != want {
					t.Errorf("Fields[%q] = %q, want %q", f, got, want)
				}
			}
		})
	}
}

func TestIsEmail(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"demo@user.io":        true,
		"a@b.co":              true,
		"DEMO@USER.IO":        true,
		"first.last@user.io":  true,
		email256:              true,
		"a" + email256:        false,
		"a@b.c":               false,
		"demo@user":           false,
		"Demo <demo@user.io>": false,
		"":                    false,

		"a@mail.my-host.io":                     true,
		"a@xn--mnchen-3ya.de":                   true,
		"a@münchen.de":                          true,
		"a@example.xn--p1ai":                    true,
		"a@1.2.3.example.com":                   true,
		"a@-example.com":                        false,
		"a@example-.com":                        false,
		"a@mail.-host.io":                       false,
		"a@mail.host-.io":                       false,
		"a@ex_ample.com":                        false,
		"a@ex!ample.com":                        false,
		"a@ex+ample.com":                        false,
		"a@example.c0m":                         false,
		"a@example.123":                         false,
		"a@127.0.0.1":                           false,
		"a@example.com.":                        false,
		"a@.example.com":                        false,
		"a@example.-com":                        false,
		"a@" + strings.Repeat("b", 63) + ".com": true,
		"a@" + strings.Repeat("b", 64) + ".com": false,
		"a@" + strings.Repeat(strings.Repeat("b", 62)+".", 4) + "com": false, // 255-byte domain
	}
	for in, want := range tests {
		if got := auth.IsEmail(in); got != want {
			t.Errorf("IsEmail(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLoginInputValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     auth.LoginInput
		fields []string
	}{
		{"UsernameAndPasswordIsValid", auth.LoginInput{Credential: "Demo-lition", Password: "password"}, nil},
		{"EmailAndPasswordIsValid", auth.LoginInput{Credential: "demo@user.io", Password: "password"}, nil},
		{"ShortPasswordIsStillChecked", auth.LoginInput{Credential: "Demo-lition", Password: "x"}, nil},
		{"MissingCredentialIsRefused", auth.LoginInput{Password: "password"}, []string{"credential"}},
		{"BlankCredentialIsRefused", auth.LoginInput{Credential: " \t\n", Password: "password"}, []string{"credential"}},
		{"MissingPasswordIsRefused", auth.LoginInput{Credential: "Demo-lition"}, []string{"password"}},
		{"NothingNamesBoth", auth.LoginInput{}, []string{"credential", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Validate()
			checkFields(t, err, tt.fields...)
			if err == nil {
				return
			}
			var e *auth.Error
			errors.As(err, &e)
			want := map[string]string{"credential": auth.MsgCredential, "password": auth.MsgPassword}
			for _, f := range tt.fields {
				if e.Fields[f] != want[f] {
					t.Errorf("Fields[%q] = %q, want %q", f, e.Fields[f], want[f])
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	t.Run("ErrorCodeFindsWrappedError", func(t *testing.T) {
		t.Parallel()
		err := errors.Join(errors.New("context"), auth.Conflict("email"))
		if got := auth.ErrorCode(err); got != auth.EConflict {
			t.Errorf("ErrorCode = %q, want %q", got, auth.EConflict)
		}
		if got := auth.ErrorCode(errors.New("plain")); got != auth.EInternal {
			t.Errorf("ErrorCode(plain) = %q, want %q", got, auth.EInternal)
		}
	})
	t.Run("ConflictNamesEachField", func(t *testing.T) {
		t.Parallel()
		e := auth.Conflict("username", "email")
		if e.Code != auth.EConflict || e.Message != auth.MsgUserExists || len(e.Fields) != 2 ||
			e.Fields["username"] != "User with that username already exists" ||
			e.Fields["email"] != "User with that email already exists" {
			t.Errorf("Conflict = %+v", e)
		}
	})
}
