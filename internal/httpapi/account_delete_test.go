package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/testdb"
	"authme/internal/tokens"
)

// A person with a full account: every table of authme holds rows about them.
const (
	richName     = "zelda-deletes"
	richEmail    = "Zelda.Deletes@example.org" // mixed case: rows found by address ignore it
	richNewEmail = "zelda.moves@example.org"   // an email change asked for, not confirmed
	richPassword = "tidal-basin-47"
)

// richAccount is an account with rows in every table authme keeps: sessions on two
// devices, security events, a verified address, a pending reset token, mail about it
// (queued by account and by address), and throttle rows for the account and a device.
type richAccount struct {
	id             int64
	laptop, phone  *client
	laptopToken    string // the laptop's session token
	laptopSession  string // the laptop's session id
	pendingToken   string // the reset token, unused
	pendingPurpose string
}

func newRichAccount(t *testing.T, h *harness) richAccount {
	t.Helper()
	a := richAccount{laptop: h.client(t), phone: h.client(t)}
	wantStatus(t, a.laptop.signup(richName, richEmail, richPassword), http.StatusCreated)
	a.id = int64(userOf(t, a.laptop.do(http.MethodGet, "/api/session", nil))["id"].(float64))
	a.phone.mustLogin(richEmail, richPassword)
	verify := h.mailedToken(t, a.id, tokens.Verify, richEmail, func(c auth.Credentials) string { return tokens.AccountStamp(tokens.Verify, c.Email, "") })
	wantStatus(t, a.laptop.send(http.MethodPost, "/api/email-verification/confirm", map[string]string{"token": verify}), http.StatusOK)
	a.pendingPurpose = tokens.Reset
	a.pendingToken = h.mailedToken(t, a.id, tokens.Reset, richEmail, func(c auth.Credentials) string { return tokens.AccountStamp(tokens.Reset, c.Email, c.PasswordHash) })
	// Mail: a reset asked for by address (a row that names no account) and a change of
	// address (rows that name it). No sender runs, so they stay queued.
	wantStatus(t, a.laptop.send(http.MethodPost, "/api/password-reset", map[string]string{"email": strings.ToLower(richEmail)}), http.StatusAccepted)
	wantStatus(t, a.laptop.send(http.MethodPut, "/api/users/me/email", map[string]string{"password": richPassword, "email": richNewEmail}), http.StatusAccepted)

	// Last, as a right password clears the account's failures: a wrong password from the
	// phone counts on its known device's bucket (d:<id>:…), one from a stranger on the
	// account's (u:<id>).
	wantStatus(t, a.phone.login(richName, "not-the-password"), http.StatusUnauthorized)
	wantStatus(t, h.client(t).login(richName, "not-the-password"), http.StatusUnauthorized)
	h.syncEvents(t)

	a.laptopToken = a.laptop.jarCookie("token")
	for _, s := range a.laptop.do(http.MethodGet, "/api/sessions", nil).jsonObject(t)["sessions"].([]any) {
		if m := s.(map[string]any); m["current"] == true {
			a.laptopSession = m["id"].(string)
		}
	}
	if a.laptopToken == "" || a.laptopSession == "" {
		t.Fatal("the laptop has no session")
	}
	return a
}

// tablesOf lists every table of the database, from its catalog, so that a table added
// later is searched too.
func tablesOf(t *testing.T, h *harness) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if h.db.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := h.db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// rowsAbout counts, per table, the rows that refer to the account: by its id (the
// Users row, a "userId" or "ownerId" column, a throttle key u:<id> or d:<id>:…) or by
// any of names (its username, its addresses) anywhere in any text, ignoring case. It
// reads every row of every table the catalog lists.
func rowsAbout(t *testing.T, h *harness, id int64, names ...string) map[string]int {
	t.Helper()
	idText := strconv.FormatInt(id, 10)
	out := map[string]int{}
	for _, table := range tablesOf(t, h) {
		rows, err := h.db.SQL().Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			if refersTo(table, cols, vals, id, idText, names) {
				out[table]++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		rows.Close()
	}
	return out
}

func refersTo(table string, cols []string, vals []any, id int64, idText string, names []string) bool {
	for i, v := range vals {
		if s, ok := v.([]byte); ok {
			v = string(s)
		}
		switch v := v.(type) {
		case int64:
			if v == id && (cols[i] == "userId" || cols[i] == "ownerId" || table == "Users" && cols[i] == "id") {
				return true
			}
		case string:
			if v == "u:"+idText || strings.HasPrefix(v, "d:"+idText+":") {
				return true
			}
			for _, n := range names {
				if strings.Contains(strings.ToLower(v), strings.ToLower(n)) {
					return true
				}
			}
		}
	}
	return false
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// deleteAccount sends DELETE /api/users/me with password.
func (c *client) deleteAccount(password string) *response {
	c.t.Helper()
	return c.send(http.MethodDelete, "/api/users/me", map[string]string{"password": password})
}

// TestDeleteAccount: DELETE /api/users/me deletes the account and every row authme keeps
// about it, after the password; never a product's row.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		t.Run("RightPasswordDeletesEveryRowAndFreesTheNames", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			a := newRichAccount(t, h)
			before := rowsAbout(t, h, a.id, richName, richEmail, richNewEmail)
			for _, table := range []string{"Users", "Sessions", "SecurityEvents", "AccountTokens", "Outbox", "LoginThrottles"} {
				if before[table] == 0 {
					t.Fatalf("no %s row refers to the account before the deletion: %v", table, before)
				}
			}

			r := a.laptop.deleteAccount(richPassword)
			wantStatus(t, r, http.StatusOK)
			wantBody(t, r, fmt.Sprintf(`{"message": %q}`, account.MsgDeleted))
			wantCleared(t, r, "token")
			wantCleared(t, r, "device")

			if after := rowsAbout(t, h, a.id, richName, richEmail, richNewEmail); total(after) != 0 {
				t.Errorf("rows still refer to the deleted account: %v (before: %v)", after, before)
			}
			if u := a.laptop.sessionUser(); u != nil {
				t.Errorf("GET /api/session after the deletion = %v, want null", u)
			}
			if u := a.phone.sessionUser(); u != nil {
				t.Errorf("the other device's session still works: %v", u)
			}
			stolen := h.client(t)
			stolen.setJarCookie("token", a.laptopToken)
			wantStatus(t, stolen.do(http.MethodGet, "/api/users/me", nil), http.StatusUnauthorized)
			if out := waitForLog(t, h.logs, "account deleted"); !strings.Contains(out, "user_id="+strconv.FormatInt(a.id, 10)) {
				t.Errorf("the deletion's log line does not name the account:\n%s", out)
			}
			if strings.Contains(h.logs.String(), a.laptopToken) {
				t.Error("the log holds the session token")
			}

			again := h.client(t)
			wantStatus(t, again.signup(richName, richEmail, "harbour-lights-58"), http.StatusCreated)
			if u := again.sessionUser(); u == nil || int64(u["id"].(float64)) == a.id {
				t.Errorf("the new account %v, want a new id", u)
			}
		})

		t.Run("WrongPasswordIs400AndDeletesNothing", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			a := newRichAccount(t, h)
			before := rowsAbout(t, h, a.id, richName, richEmail, richNewEmail)
			for _, tc := range []struct{ password, want string }{
				{"not-the-password", auth.MsgCurrentPasswordWrong},
				{"", auth.MsgCurrentPassword},
			} {
				r := a.laptop.deleteAccount(tc.password)
				wantStatus(t, r, http.StatusBadRequest)
				wantBody(t, r, fmt.Sprintf(`{"message": "Bad Request", "errors": {"password": %q}}`, tc.want))
				if ck := r.cookie("token"); ck != nil {
					t.Errorf("a refused deletion touched the token cookie: %q", ck.Raw)
				}
			}
			after := rowsAbout(t, h, a.id, richName, richEmail, richNewEmail)
			for table, n := range before {
				if after[table] < n {
					t.Errorf("%s: %d rows refer to the account after a refused deletion, %d before", table, after[table], n)
				}
			}
			if u := a.laptop.sessionUser(); u == nil {
				t.Error("the session ended on a refused deletion")
			}
		})

		t.Run("AProductTableReferringToItIs409AndDeletesNothing", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			a := newRichAccount(t, h)
			// An app built on authme adds its own table, with a foreign key to "Users" that
			// does not cascade.
			if _, err := h.db.SQL().Exec(`CREATE TABLE "Spots" ("id" INTEGER PRIMARY KEY, "ownerId" INTEGER NOT NULL REFERENCES "Users" ("id"))`); err != nil {
				t.Fatal(err)
			}
			if _, err := h.db.SQL().Exec(`INSERT INTO "Spots" ("id", "ownerId") VALUES (1, $1)`, a.id); err != nil {
				t.Fatal(err)
			}
			// The password check itself writes the account's throttle row (it is throttled
			// like a log-in): that table aside, nothing may change.
			before := rowsAbout(t, h, a.id, richName, richEmail, richNewEmail)
			delete(before, "LoginThrottles")
			r := a.laptop.deleteAccount(richPassword)
			wantStatus(t, r, http.StatusConflict)
			wantBody(t, r, fmt.Sprintf(`{"message": %q}`, auth.MsgAccountReferenced))
			after := rowsAbout(t, h, a.id, richName, richEmail, richNewEmail)
			delete(after, "LoginThrottles")
			if !reflect.DeepEqual(after, before) {
				t.Errorf("rows referring to the account after the refusal %v, before %v", after, before)
			}
			if u := a.laptop.sessionUser(); u == nil {
				t.Error("the session ended on a refused deletion")
			}

			// Once the product lets go, the deletion goes through.
			if _, err := h.db.SQL().Exec(`DELETE FROM "Spots"`); err != nil {
				t.Fatal(err)
			}
			wantStatus(t, a.laptop.deleteAccount(richPassword), http.StatusOK)
		})

		t.Run("NeedsASessionAndACSRFToken", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			c := h.client(t)
			wantStatus(t, c.deleteAccount(demoPassword), http.StatusUnauthorized)
			c.mustLogin(demoUsername, demoPassword)
			wantStatus(t, c.do(http.MethodDelete, "/api/users/me", map[string]string{"password": demoPassword}), http.StatusForbidden)
			if u := c.sessionUser(); u == nil {
				t.Fatal("a deletion without a CSRF token ended the session")
			}
		})

		t.Run("WrongPasswordsAreThrottled", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tg, harnessOptions{})
			c := h.client(t)
			c.mustLogin(demoUsername, demoPassword)
			for i := 0; i < auth.DefaultThrottle.FreeFailures; i++ {
				wantStatus(t, c.deleteAccount("not-the-password"), http.StatusBadRequest)
			}
			r := c.deleteAccount(demoPassword)
			wantStatus(t, r, http.StatusTooManyRequests)
			if r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			if u := c.sessionUser(); u == nil {
				t.Error("a throttled deletion ended the session")
			}
		})
	})
}

// TestDeleteAccountLeavesOtherAccounts: deleting one account touches no other's rows.
func TestDeleteAccountLeavesOtherAccounts(t *testing.T) {
	t.Parallel()
	forEachTarget(t, func(t *testing.T, tg testdb.Target) {
		h := newHarness(t, tg, harnessOptions{})
		demo := h.client(t)
		demo.mustLogin(demoUsername, demoPassword)
		demoID := int64(userOf(t, demo.do(http.MethodGet, "/api/session", nil))["id"].(float64))
		before := rowsAbout(t, h, demoID, demoUsername, demoEmail)
		a := newRichAccount(t, h)
		wantStatus(t, a.laptop.deleteAccount(richPassword), http.StatusOK)
		after := rowsAbout(t, h, demoID, demoUsername, demoEmail)
		if !reflect.DeepEqual(after, before) {
			t.Errorf("the demo account's rows %v after another's deletion, %v before", after, before)
		}
		if u := demo.sessionUser(); u == nil {
			t.Error("another account's session ended")
		}
	})
}
