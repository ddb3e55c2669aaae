package outbox

// Kinds of job: each is one mail, named for its template in the mail package.
const (
	KindPasswordReset      = "password-reset"       // a reset link, to an address that may have no account
	KindPasswordChanged    = "password-changed"     // a notice to the account's address
	KindVerifyEmail        = "verify-email"         // a verification link, by account or by address
	KindEmailChangeConfirm = "email-change-confirm" // a confirmation link, to the new address
	KindEmailChangeNotice  = "email-change-notice"  // a notice to the old address that a change was asked
	KindEmailChanged       = "email-changed"        // a notice to the old address, with a link to undo
	KindTOTPEnabled        = "totp-enabled"         // a notice: two-factor authentication turned on
	KindTOTPDisabled       = "totp-disabled"        // a notice: two-factor authentication turned off
	KindRecoveryCodeUsed   = "recovery-code-used"   // a notice: a recovery code was used, with how many remain
	KindPasskeyAdded       = "passkey-added"        // a notice: a passkey was added, with its name
	KindPasskeyRemoved     = "passkey-removed"      // a notice: a passkey was removed, with its name
)

// Keys of Job.Data that say who asked: shown in the mail so its reader can tell
// whether it was them.
const (
	DataAddress   = "address"   // the client's IP address
	DataUserAgent = "userAgent" // its User-Agent header
	DataAt        = "at"        // when, RFC 3339 in UTC
	DataNewEmail  = "newEmail"  // for a change of email: the address asked for
	DataRemaining = "remaining" // for a used recovery code: how many the account has left
	DataName      = "name"      // for a passkey: its name
)
