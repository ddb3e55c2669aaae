package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"authme/internal/account"
)

// exportBody is GET /api/users/me/export: everything authme stores about the caller.
type exportBody struct {
	ExportedAt     time.Time        `json:"exportedAt"`
	Account        exportAccount    `json:"account"`
	Sessions       []sessionView    `json:"sessions"`
	Events         []eventView      `json:"events"`
	Tokens         []exportToken    `json:"tokens"`
	Mail           []exportMail     `json:"mail"`
	LoginThrottles []exportThrottle `json:"loginThrottles"`
	SecondFactor   exportFactor     `json:"secondFactor"`
	Passkeys       []exportPasskey  `json:"passkeys"`
}

// exportFactor is the second factor without its secret or the recovery codes' hashes.
type exportFactor struct {
	EnrolledAt             *time.Time `json:"enrolledAt"`
	EnabledAt              *time.Time `json:"enabledAt"`
	RecoveryCodesRemaining int        `json:"recoveryCodesRemaining"`
	PendingLogins          int        `json:"pendingLogins"`
}

// exportPasskey is a passkey with its credential id (public: the authenticator shows it
// to every site that asks), never more of the credential.
type exportPasskey struct {
	passkeyJSON
	CredentialID string `json:"credentialId"`
}

type exportAccount struct {
	ID              int64      `json:"id"`
	Username        string     `json:"username"`
	Email           string     `json:"email"`
	CreatedAt       *time.Time `json:"createdAt"`
	UpdatedAt       *time.Time `json:"updatedAt"`
	EmailVerifiedAt *time.Time `json:"emailVerifiedAt"`
	DisabledAt      *time.Time `json:"disabledAt"`
}

type exportToken struct {
	Purpose   string    `json:"purpose"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type exportMail struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Email     string     `json:"email"`
	Data      any        `json:"data"` // the stored JSON object, or its text if it is not one
	CreatedAt time.Time  `json:"createdAt"`
	NotBefore time.Time  `json:"notBefore"`
	Attempts  int        `json:"attempts"`
	SentAt    *time.Time `json:"sentAt"`
	FailedAt  *time.Time `json:"failedAt"`
	DroppedAt *time.Time `json:"droppedAt"`
	LastError string     `json:"lastError"`
}

type exportThrottle struct {
	Key          string     `json:"key"`
	Failures     int        `json:"failures"`
	BlockedUntil *time.Time `json:"blockedUntil"`
	UpdatedAt    time.Time  `json:"updatedAt"`
}

// handleExport answers with everything authme stores about the caller, as a JSON file
// to save (data portability): the account without its password hash, every session,
// every security event, the mailed tokens without their hashes, the mail about the
// account and its log-in throttle rows.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request, c current) error {
	d, err := s.owners.Export(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	p := d.Profile
	body := exportBody{
		ExportedAt: s.now().UTC(),
		Account: exportAccount{ID: p.ID, Username: p.Username, Email: p.Email, CreatedAt: optionalTime(p.CreatedAt),
			UpdatedAt: optionalTime(p.UpdatedAt), EmailVerifiedAt: optionalTime(p.EmailVerifiedAt), DisabledAt: optionalTime(p.DisabledAt)},
		Sessions:       make([]sessionView, 0, len(d.Sessions)),
		Events:         make([]eventView, 0, len(d.Events)),
		Tokens:         make([]exportToken, 0, len(d.Tokens)),
		Mail:           make([]exportMail, 0, len(d.Mail)),
		LoginThrottles: make([]exportThrottle, 0, len(d.Throttles)),
		SecondFactor: exportFactor{EnrolledAt: optionalTime(d.SecondFactor.EnrolledAt), EnabledAt: optionalTime(d.SecondFactor.ConfirmedAt),
			RecoveryCodesRemaining: d.SecondFactor.RecoveryCodesRemaining, PendingLogins: d.SecondFactor.PendingLogins},
		Passkeys: make([]exportPasskey, 0, len(d.Passkeys)),
	}
	for _, p := range d.Passkeys {
		body.Passkeys = append(body.Passkeys, exportPasskey{passkeyJSON: passkeyOf(p), CredentialID: p.CredentialID})
	}
	for _, ss := range d.Sessions {
		body.Sessions = append(body.Sessions, viewSession(ss, c.sessionID))
	}
	for _, e := range d.Events {
		body.Events = append(body.Events, viewEvent(e, c.sessionID))
	}
	for _, t := range d.Tokens {
		body.Tokens = append(body.Tokens, exportToken{Purpose: t.Purpose, Email: t.Email, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()})
	}
	for _, m := range d.Mail {
		body.Mail = append(body.Mail, viewMail(m))
	}
	for _, t := range d.Throttles {
		body.LoginThrottles = append(body.LoginThrottles, exportThrottle{Key: t.Key, Failures: t.Failures,
			BlockedUntil: optionalTime(t.BlockedUntil), UpdatedAt: t.UpdatedAt.UTC()})
	}
	w.Header().Set("Content-Disposition", exportDisposition(p.Username))
	writeJSON(w, http.StatusOK, body)
	return nil
}

func viewMail(m account.Mail) exportMail {
	var data any = m.Data
	if json.Valid([]byte(m.Data)) {
		data = json.RawMessage(m.Data)
	}
	return exportMail{ID: m.ID, Kind: m.Kind, Email: m.Email, Data: data, CreatedAt: m.CreatedAt.UTC(), NotBefore: m.NotBefore.UTC(),
		Attempts: m.Attempts, SentAt: optionalTime(m.SentAt), FailedAt: optionalTime(m.FailedAt), DroppedAt: optionalTime(m.DroppedAt),
		LastError: m.LastError}
}

// optionalTime is t in UTC, or nil (JSON null) for the zero time.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// exportDisposition names the download authme-export-<username>.json. The quoted name
// keeps only characters every browser saves as they are; a username with others (spaces,
// quotes, letters beyond ASCII) is also given whole as filename* (RFC 6266).
func exportDisposition(username string) string {
	name := "authme-export-" + username + ".json"
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
	v := `attachment; filename="` + safe + `"`
	if safe != name {
		v += "; filename*=UTF-8''" + extValue(name)
	}
	return v
}

// extValue percent-encodes s as an RFC 8187 ext-value: every byte but attr-char.
func extValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
