// Package events is an account's security history: what happened to it (a log-in, a
// changed password, sessions ended), when, and from which client. It holds the domain
// only; the store keeps the rows, in the transaction of what each one records, and the
// Aggregator writes failed and throttled log-ins off the request path.
package events

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one entry of an account's security history.
type Event struct {
	ID        int64
	UserID    int64
	Kind      string
	At        time.Time
	Address   string // the client's IP address
	UserAgent string
	SessionID string // the session the event started or came from; never a token
	Count     int    // how many attempts an aggregated row stands for; 1 otherwise
	Detail    map[string]string
}

// The kinds of event.
const (
	Signup               = "signup"
	Login                = "login"
	LoginFailed          = "login-failed"
	LoginThrottled       = "login-throttled"
	Logout               = "logout"
	PasswordChanged      = "password-changed"
	PasswordReset        = "password-reset"
	EmailVerified        = "email-verified"
	EmailChangeRequested = "email-change-requested"
	EmailChanged         = "email-changed"
	EmailChangeUndone    = "email-change-undone"
	SessionsEnded        = "sessions-ended" // Detail: "which": one|others|all, "count"
	AccountDisabled      = "account-disabled"
	AccountEnabled       = "account-enabled"
	AccountUnlocked      = "account-unlocked" // by the operator
	PasswordSet          = "password-set"     // by the operator

	TOTPEnabled            = "totp-enabled"
	TOTPDisabled           = "totp-disabled" // Detail "by": "operator" when the operator removed it
	RecoveryCodesGenerated = "recovery-codes-generated"
	RecoveryCodeUsed       = "recovery-code-used"   // Detail "remaining"
	SecondFactorFailed     = "second-factor-failed" // Detail "method": totp|recovery-code
	PasskeyAdded           = "passkey-added"        // Detail "passkey": its id, "name"
	PasskeyRemoved         = "passkey-removed"      // Detail "passkey": its id, "name"
	PasskeyRefused         = "passkey-refused"      // Detail "passkey", "reason": clone (its counter went back)
)

// Kinds lists every kind, for documentation and validation.
func Kinds() []string {
	return []string{Signup, Login, LoginFailed, LoginThrottled, Logout, PasswordChanged, PasswordReset,
		EmailVerified, EmailChangeRequested, EmailChanged, EmailChangeUndone, SessionsEnded,
		AccountDisabled, AccountEnabled, AccountUnlocked, PasswordSet,
		TOTPEnabled, TOTPDisabled, RecoveryCodesGenerated, RecoveryCodeUsed, SecondFactorFailed,
		PasskeyAdded, PasskeyRemoved, PasskeyRefused}
}

// Detail keys and values of SessionsEnded.
const (
	DetailWhich   = "which"
	DetailCount   = "count"
	DetailSession = "session" // the session ended, for "one"
	WhichOne      = "one"
	WhichOthers   = "others"
	WhichAll      = "all"

	// DetailMethod is how a log-in proved itself ("password", "password+totp",
	// "password+recovery-code"), or which second factor failed ("totp",
	// "recovery-code"); DetailRemaining is how many recovery codes are left.
	DetailMethod    = "method"
	DetailRemaining = "remaining"
	DetailBy        = "by"
	DetailPasskey   = "passkey"
	DetailName      = "name"
	DetailReason    = "reason"
)

// Column bounds: the store's columns hold no more.
const (
	MaxKind      = 40
	MaxAddress   = 64
	MaxUserAgent = 512
	MaxSessionID = 64
)

// Origin is the client an action came from.
type Origin struct {
	Address   string
	UserAgent string
	SessionID string
}

// Event is an event of kind for the user at at, from o.
func (o Origin) Event(userID int64, kind string, at time.Time) Event {
	return Event{UserID: userID, Kind: kind, At: at, Address: o.Address, UserAgent: o.UserAgent, SessionID: o.SessionID, Count: 1}
}

// Bounded returns e cut to the columns' sizes, as valid UTF-8 without NULs (PostgreSQL
// text refuses both), with a count of at least one.
func (e Event) Bounded() Event {
	e.Kind = bound(e.Kind, MaxKind)
	e.Address = bound(e.Address, MaxAddress)
	e.UserAgent = bound(e.UserAgent, MaxUserAgent)
	e.SessionID = bound(e.SessionID, MaxSessionID)
	if e.Count < 1 {
		e.Count = 1
	}
	return e
}

func bound(s string, n int) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Log writes e as one structured line for a log pipeline: kind, user, address,
// browser, session id (never a token) and, for aggregated rows, the count.
func Log(ctx context.Context, log *slog.Logger, e Event) {
	if log == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("kind", e.Kind),
		slog.Int64("user_id", e.UserID),
		slog.String("address", e.Address),
		slog.String("user_agent", e.UserAgent),
		slog.String("session", e.SessionID),
		slog.Int("count", e.Count),
	}
	for k, v := range e.Detail {
		attrs = append(attrs, slog.String("detail_"+k, v))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "security event", attrs...)
}
