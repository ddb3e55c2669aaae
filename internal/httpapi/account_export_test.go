package httpapi

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"authme/internal/testdb"
)

// The export as the test reads it back.
type exportJSON struct {
	ExportedAt time.Time `json:"exportedAt"`
	Account    struct {
		ID              int64      `json:"id"`
		Username        string     `json:"username"`
		Email           string     `json:"email"`
		CreatedAt       *time.Time `json:"createdAt"`
		UpdatedAt       *time.Time `json:"updatedAt"`
		EmailVerifiedAt *time.Time `json:"emailVerifiedAt"`
		DisabledAt      *time.Time `json:"disabledAt"`
	} `json:"account"`
	Sessions []struct {
		ID         string    `json:"id"`
		CreatedAt  time.Time `json:"createdAt"`
		LastSeenAt time.Time `json:"lastSeenAt"`
		ExpiresAt  time.Time `json:"expiresAt"`
		UserAgent  string    `json:"userAgent"`
		Current    bool      `json:"current"`
	} `json:"sessions"`
	Events []struct {
		ID        int64             `json:"id"`
		Kind      string            `json:"kind"`
		At        time.Time         `json:"at"`
		Address   string            `json:"address"`
		UserAgent string            `json:"userAgent"`
		SessionID string            `json:"sessionId"`
		Current   bool              `json:"current"`
		Count     int               `json:"count"`
		Detail    map[string]string `json:"detail"`
	} `json:"events"`
	Tokens []struct {
		Purpose   string    `json:"purpose"`
		Email     string    `json:"email"`
		CreatedAt time.Time `json:"createdAt"`
		ExpiresAt time.Time `json:"expiresAt"`
	} `json:"tokens"`
	Mail []struct {
		ID        int64             `json:"id"`
		Kind      string            `json:"kind"`
		Email     string            `json:"email"`
		Data      map[string]string `json:"data"`
		CreatedAt time.Time         `json:"createdAt"`
		NotBefore time.Time         `json:"notBefore"`
		Attempts  int               `json:"attempts"`
		SentAt    *time.Time        `json:"sentAt"`
		FailedAt  *time.Time        `json:"failedAt"`
		DroppedAt *time.Time        `json:"droppedAt"`
		LastError string            `json:"lastError"`
	} `json:"mail"`
	LoginThrottles []struct {
		Key          string     `json:"key"`
		Failures     int        `json:"failures"`
		BlockedUntil *time.Time `json:"blockedUntil"`
		UpdatedAt    time.Time  `json:"updatedAt"`
	} `json:"loginThrottles"`
	SecondFactor struct {
		EnrolledAt             *time.Time `json:"enrolledAt"`
		EnabledAt              *time.Time `json:"enabledAt"`
		RecoveryCodesRemaining int        `json:"recoveryCodesRemaining"`
		PendingLogins          int        `json:"pendingLogins"`
	} `json:"secondFactor"`
	Passkeys []struct {
		ID           string     `json:"id"`
		Name         string     `json:"name"`
		CreatedAt    time.Time  `json:"createdAt"`
		LastUsedAt   *time.Time `json:"lastUsedAt"`
		CredentialID string     `json:"credentialId"`
	} `json:"passkeys"`
}

// sameTime compares an exported time with the database's (nil: NULL or zero).
func sameTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	switch {
	case got == nil && want.IsZero():
	case got == nil || want.IsZero() || !got.Equal(want):
		t.Errorf("%s = %v, database has %v", what, got, want)
	case got.Location() != time.UTC:
		t.Errorf("%s = %v, want UTC", what, got)
	}
}

// nullUnix reads a nullable Unix column at scale (time.Unix or time.UnixMilli).
func nullUnix(v sql.NullInt64, milli bool) time.Time {
	switch {
	case !v.Valid:
		return time.Time{}
	case milli:
		return time.UnixMilli(v.Int64)
	}
	return time.Unix(v.Int64, 0)
}

// dbTime reads a "createdAt"/"updatedAt" as the database gives it: a time, or SQLite's
// text.
func dbTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch v := v.(type) {
	case time.Time:
		return v
	case []byte:
		return dbTime(t, string(v))
	case string:
		tt, err := time.ParseInLocation("2006-01-02 15:04:05", v, time.UTC)
		if err != nil {
			t.Fatalf("database time %q: %v", v, err)
		}
		return tt
	}
	t.Fatalf("database time is a %T", v)
	return time.Time{}
}

// TestExportAccount: GET /api/users/me/export gives back every row authme keeps about
// the caller, field for field, and nothing secret.
func TestExportAccount(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("RoundTripsEveryField", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			a := newRichAccount(t, h)
			db := h.db.SQL()
			// Mail in every state: one sent, one failed after retries.
			if _, err := db.Exec(`UPDATE "Outbox" SET "attempts" = 1, "sentAt" = $1, "data" = '{}' WHERE "kind" = 'email-change-notice'`, time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE "Outbox" SET "attempts" = 3, "failedAt" = $1, "lastError" = '550 mailbox unavailable' WHERE "kind" = 'password-reset'`, time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			// A second factor and a passkey, as their services write them.
			const sealed, codeHash, credential = "sealed-secret-must-not-leave", "recovery-code-hash-must-not-leave", `{"publicKey":"key-must-not-leave"}`
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO "TotpFactors" ("userId", "secret", "keyId", "createdAt", "confirmedAt", "lastStep") VALUES ($1, $2, 'k1', 1764650000, 1764650060, 7)`, []any{a.id, sealed}},
				{`INSERT INTO "RecoveryCodes" ("hash", "userId", "createdAt") VALUES ($1, $2, 1764650060)`, []any{codeHash, a.id}},
				{`INSERT INTO "PendingLogins" ("hash", "userId", "method", "createdAt", "expiresAt") VALUES ('pending-hash', $1, 'password', 1764650000, 1764650300)`, []any{a.id}},
				{`INSERT INTO "Passkeys" ("id", "credentialId", "userId", "name", "credential", "createdAt", "lastUsedAt") VALUES ('pk1', 'cred-1', $1, 'Laptop', $2, 1764650100000, 1764650200000)`, []any{a.id, credential}},
			} {
				if _, err := db.Exec(q.sql, q.args...); err != nil {
					t.Fatal(err)
				}
			}

			r := a.laptop.do(http.MethodGet, "/api/users/me/export", nil)
			wantStatus(t, r, http.StatusOK)
			if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="authme-export-zelda-deletes.json"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			var got exportJSON
			dec := json.NewDecoder(strings.NewReader(string(r.body)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("export %s: %v", r.body, err)
			}

			// The account.
			var username, email string
			var created, updated any
			var verified, disabled sql.NullInt64
			if err := db.QueryRow(`SELECT "username", "email", "createdAt", "updatedAt", "emailVerifiedAt", "disabledAt" FROM "Users" WHERE "id" = $1`, a.id).
				Scan(&username, &email, &created, &updated, &verified, &disabled); err != nil {
				t.Fatal(err)
			}
			if got.Account.ID != a.id || got.Account.Username != username || got.Account.Email != email {
				t.Errorf("account %+v, database has %d %s %s", got.Account, a.id, username, email)
			}
			sameTime(t, "createdAt", got.Account.CreatedAt, dbTime(t, created))
			sameTime(t, "updatedAt", got.Account.UpdatedAt, dbTime(t, updated))
			sameTime(t, "emailVerifiedAt", got.Account.EmailVerifiedAt, nullUnix(verified, false))
			sameTime(t, "disabledAt", got.Account.DisabledAt, nullUnix(disabled, false))
			if got.Account.EmailVerifiedAt == nil {
				t.Error("emailVerifiedAt is null; the address was verified")
			}

			// Sessions.
			rows, err := db.Query(`SELECT "id", "createdAt", "lastSeenAt", "expiresAt", "userAgent" FROM "Sessions" WHERE "userId" = $1 ORDER BY "createdAt" DESC, "id"`, a.id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; rows.Next(); n++ {
				var id, ua string
				var c, seen, exp int64
				if err := rows.Scan(&id, &c, &seen, &exp, &ua); err != nil {
					t.Fatal(err)
				}
				if n >= len(got.Sessions) {
					continue
				}
				s := got.Sessions[n]
				if s.ID != id || s.UserAgent != ua || s.Current != (id == a.laptopSession) ||
					!s.CreatedAt.Equal(time.Unix(c, 0)) || !s.LastSeenAt.Equal(time.Unix(seen, 0)) || !s.ExpiresAt.Equal(time.Unix(exp, 0)) {
					t.Errorf("session %d: %+v, database has %s %d %d %d %q", n, s, id, c, seen, exp, ua)
				}
			}
			rows.Close()
			if n != len(got.Sessions) || n != 2 {
				t.Errorf("%d sessions exported, %d in the database, want the laptop's and the phone's", len(got.Sessions), n)
			}

			// Security events.
			rows, err = db.Query(`SELECT "id", "kind", "at", "address", "userAgent", "sessionId", "count", "detail" FROM "SecurityEvents" WHERE "userId" = $1 ORDER BY "id" DESC`, a.id)
			if err != nil {
				t.Fatal(err)
			}
			n = 0
			kinds := map[string]bool{}
			for ; rows.Next(); n++ {
				var id, at int64
				var kind, addr, ua, sid, detail string
				var count int
				if err := rows.Scan(&id, &kind, &at, &addr, &ua, &sid, &count, &detail); err != nil {
					t.Fatal(err)
				}
				kinds[kind] = true
				var d map[string]string
				if err := json.Unmarshal([]byte(detail), &d); err != nil {
					t.Fatal(err)
				}
				if d == nil {
					d = map[string]string{}
				}
				if n >= len(got.Events) {
					continue
				}
				e := got.Events[n]
				if e.ID != id || e.Kind != kind || !e.At.Equal(time.UnixMilli(at)) || e.Address != addr || e.UserAgent != ua ||
					e.SessionID != sid || e.Count != count || !reflect.DeepEqual(e.Detail, d) || e.Current != (sid != "" && sid == a.laptopSession) {
					t.Errorf("event %d: %+v, database has %d %s %d %s %q %s %d %s", n, e, id, kind, at, addr, ua, sid, count, detail)
				}
			}
			rows.Close()
			if n != len(got.Events) {
				t.Errorf("%d events exported, %d in the database", len(got.Events), n)
			}
			for _, k := range []string{"signup", "login", "login-failed", "email-verified", "email-change-requested"} {
				if !kinds[k] {
					t.Errorf("no %s event in the database: the set-up is not what the test means", k)
				}
			}

			// Mailed tokens: the reset, unused (the verification's was spent).
			var hashes, stamps []string
			rows, err = db.Query(`SELECT "hash", "stamp", "purpose", "email", "createdAt", "expiresAt" FROM "AccountTokens" WHERE "userId" = $1 ORDER BY "createdAt" DESC, "purpose"`, a.id)
			if err != nil {
				t.Fatal(err)
			}
			n = 0
			for ; rows.Next(); n++ {
				var hash, stamp, purpose, mail string
				var c, exp int64
				if err := rows.Scan(&hash, &stamp, &purpose, &mail, &c, &exp); err != nil {
					t.Fatal(err)
				}
				hashes, stamps = append(hashes, hash), append(stamps, stamp)
				if n >= len(got.Tokens) {
					continue
				}
				tk := got.Tokens[n]
				if tk.Purpose != purpose || tk.Email != mail || !tk.CreatedAt.Equal(time.Unix(c, 0)) || !tk.ExpiresAt.Equal(time.Unix(exp, 0)) {
					t.Errorf("token %d: %+v, database has %s %s %d %d", n, tk, purpose, mail, c, exp)
				}
			}
			rows.Close()
			if n != len(got.Tokens) || n != 1 || got.Tokens[0].Purpose != a.pendingPurpose {
				t.Errorf("tokens %+v, want the one pending %s token of the %d in the database", got.Tokens, a.pendingPurpose, n)
			}

			// Mail: rows that name the account, and the reset asked for by its address.
			rows, err = db.Query(`SELECT "id", "kind", "email", "data", "createdAt", "notBefore", "attempts", "sentAt", "failedAt", "droppedAt", "lastError"
				FROM "Outbox" WHERE "userId" = $1 OR lower("email") = lower($2) ORDER BY "id" DESC`, a.id, richEmail)
			if err != nil {
				t.Fatal(err)
			}
			n = 0
			mailKinds := []string{}
			for ; rows.Next(); n++ {
				var id, c, nb int64
				var kind, mail, data, lastErr string
				var attempts int
				var sent, failed, dropped sql.NullInt64
				if err := rows.Scan(&id, &kind, &mail, &data, &c, &nb, &attempts, &sent, &failed, &dropped, &lastErr); err != nil {
					t.Fatal(err)
				}
				mailKinds = append(mailKinds, kind)
				var d map[string]string
				if err := json.Unmarshal([]byte(data), &d); err != nil {
					t.Fatal(err)
				}
				if n >= len(got.Mail) {
					continue
				}
				m := got.Mail[n]
				if m.ID != id || m.Kind != kind || m.Email != mail || !reflect.DeepEqual(m.Data, d) || !m.CreatedAt.Equal(time.UnixMilli(c)) ||
					!m.NotBefore.Equal(time.UnixMilli(nb)) || m.Attempts != attempts || m.LastError != lastErr {
					t.Errorf("mail %d: %+v, database has %d %s %s %s %d %d %d %q", n, m, id, kind, mail, data, c, nb, attempts, lastErr)
				}
				sameTime(t, "mail sentAt", m.SentAt, nullUnix(sent, true))
				sameTime(t, "mail failedAt", m.FailedAt, nullUnix(failed, true))
				sameTime(t, "mail droppedAt", m.DroppedAt, nullUnix(dropped, true))
			}
			rows.Close()
			if n != len(got.Mail) || strings.Join(mailKinds, ",") != "email-change-notice,email-change-confirm,password-reset" {
				t.Errorf("%d mails exported; the database has %v", len(got.Mail), mailKinds)
			}
			if len(got.Mail) == 3 && got.Mail[2].Data["address"] == "" {
				t.Errorf("the reset's data %v lost who asked", got.Mail[2].Data)
			}

			// Log-in throttle rows: the account's and the phone's.
			rows, err = db.Query(`SELECT "key", "failures", "blockedUntil", "updatedAt" FROM "LoginThrottles" WHERE "key" = $1 OR "key" LIKE $2 ORDER BY "key"`,
				"u:"+strconv.FormatInt(a.id, 10), "d:"+strconv.FormatInt(a.id, 10)+":%")
			if err != nil {
				t.Fatal(err)
			}
			n = 0
			for ; rows.Next(); n++ {
				var key string
				var failures int
				var until, upd int64
				if err := rows.Scan(&key, &failures, &until, &upd); err != nil {
					t.Fatal(err)
				}
				if n >= len(got.LoginThrottles) {
					continue
				}
				th := got.LoginThrottles[n]
				var blocked time.Time
				if until > 0 {
					blocked = time.Unix(until, 0)
				}
				if th.Key != key || th.Failures != failures || !th.UpdatedAt.Equal(time.Unix(upd, 0)) {
					t.Errorf("throttle %d: %+v, database has %s %d %d %d", n, th, key, failures, until, upd)
				}
				sameTime(t, "blockedUntil", th.BlockedUntil, blocked)
			}
			rows.Close()
			if n != len(got.LoginThrottles) || n != 2 {
				t.Errorf("%d throttle rows exported, %d in the database, want the account's and the phone's", len(got.LoginThrottles), n)
			}

			// The second factor and the passkey, without their secrets.
			sf := got.SecondFactor
			sameTime(t, "secondFactor enrolledAt", sf.EnrolledAt, time.Unix(1764650000, 0))
			sameTime(t, "secondFactor enabledAt", sf.EnabledAt, time.Unix(1764650060, 0))
			if sf.RecoveryCodesRemaining != 1 || sf.PendingLogins != 1 {
				t.Errorf("secondFactor %+v, want 1 recovery code and 1 waiting log-in", sf)
			}
			if len(got.Passkeys) != 1 || got.Passkeys[0].ID != "pk1" || got.Passkeys[0].Name != "Laptop" || got.Passkeys[0].CredentialID != "cred-1" ||
				!got.Passkeys[0].CreatedAt.Equal(time.UnixMilli(1764650100000)) {
				t.Errorf("passkeys %+v, want pk1 Laptop cred-1", got.Passkeys)
			} else {
				sameTime(t, "passkey lastUsedAt", got.Passkeys[0].LastUsedAt, time.UnixMilli(1764650200000))
			}

			// Nothing secret.
			var hash []byte
			if err := db.QueryRow(`SELECT "hashedPassword" FROM "Users" WHERE "id" = $1`, a.id).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			secrets := append([]string{"$argon2id", string(hash), "hashedPassword", "stamp", a.laptopToken, a.pendingToken, richPassword,
				sealed, codeHash, "key-must-not-leave", "pending-hash"}, hashes...)
			for _, s := range append(secrets, stamps...) {
				if s != "" && strings.Contains(string(r.body), s) {
					t.Errorf("the export contains %q: %s", s, r.body)
				}
			}
		})

		t.Run("NeedsASession", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			wantStatus(t, h.client(t).do(http.MethodGet, "/api/users/me/export", nil), http.StatusUnauthorized)
		})

		t.Run("AnAccountFromTheSeedExports", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			c := h.client(t)
			c.mustLogin(demoUsername, demoPassword)
			r := c.do(http.MethodGet, "/api/users/me/export", nil)
			wantStatus(t, r, http.StatusOK)
			var got exportJSON
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Account.Username != demoUsername || got.Account.CreatedAt == nil || len(got.Sessions) != 1 || !got.Sessions[0].Current ||
				len(got.Tokens) != 0 || len(got.Mail) != 0 || len(got.LoginThrottles) != 0 || got.Account.EmailVerifiedAt != nil {
				t.Errorf("export of the demo user: %s", r.body)
			}
		})
	})
}

// TestExportDisposition: the download's name is the username, kept safe in filename and
// whole in filename*.
func TestExportDisposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, username, want string }{
		{"PlainNameAsIs", "Demo-lition", `attachment; filename="authme-export-Demo-lition.json"`},
		{"SpacesAndQuotesEncoded", `John "Jo" Smith`, `attachment; filename="authme-export-John__Jo__Smith.json"; filename*=UTF-8''authme-export-John%20%22Jo%22%20Smith.json`},
		{"LettersBeyondASCII", "Zoë", `attachment; filename="authme-export-Zo_.json"; filename*=UTF-8''authme-export-Zo%C3%AB.json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := exportDisposition(tc.username); got != tc.want {
				t.Errorf("exportDisposition(%q) = %s, want %s", tc.username, got, tc.want)
			}
		})
	}
}
