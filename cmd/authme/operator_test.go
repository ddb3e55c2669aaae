package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strconv"
	"strings"
	"testing"

	"authme/internal/auth"
	"authme/internal/store"
	"authme/internal/testdb"
)

// operatorClient is a browser of the test: a cookie jar and the CSRF token it was given. Cookies
// ignore ports, so one client carries its session to every instance on 127.0.0.1.
type operatorClient struct {
	t     *testing.T
	hc    *http.Client
	token string
}

func newOperatorClient(t *testing.T, url string) *operatorClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &operatorClient{t: t, hc: &http.Client{Jar: jar}}
	res, err := c.hc.Get(url + "/api/csrf/restore")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "XSRF-TOKEN" {
			c.token = ck.Value
		}
	}
	return c
}

// do sends a request with the CSRF header and returns the status and body.
func (c *operatorClient) do(method, url, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("XSRF-Token", c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (c *operatorClient) login(url, name, pw string) (int, string) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"credential": name, "password": pw})
	return c.do("POST", url+"/api/session", string(b))
}

// me is the status of GET /api/users/me: 200 while the client's session is honoured.
func (c *operatorClient) me(url string) int {
	c.t.Helper()
	code, _ := c.do("GET", url+"/api/users/me", "")
	return code
}

// operatorEnv is a development configuration over tg's database, with one secret, so
// that several instances honour one another's tokens.
func operatorEnv(t *testing.T, tg testdb.Target) (map[string]string, store.Options) {
	t.Helper()
	o := tg.Options(t)
	return map[string]string{
		"DB_FILE": o.File, "DATABASE_URL": o.DatabaseURL, "SCHEMA": o.Schema,
		"JWT_SECRET": strings.Repeat("operator-test-secret-", 3),
	}, o
}

// authmeCLI runs one command as main does, with stdin, and returns its output and error.
func authmeCLI(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := runWithInput(context.Background(), args, envMap(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

// mustCLI is authmeCLI that fails the test on an error.
func mustCLI(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	out, err := authmeCLI(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("authme %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// decode parses a command's --json output into v.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
}

func TestOperatorCommands(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			env, opts := operatorEnv(t, tg)
			// Two instances over one database: the first migrates and seeds it.
			urlA, _, _ := startServer(t, env)
			urlB, _, _ := startServer(t, env)
			const name, pw = "Demo-lition", "password"

			t.Run("DisabledAccountsTokenDiesOnEveryInstance", func(t *testing.T) {
				c := newOperatorClient(t, urlA)
				if code, body := c.login(urlA, name, pw); code != 200 {
					t.Fatalf("log-in on A = %d %s", code, body)
				}
				if a, b := c.me(urlA), c.me(urlB); a != 200 || b != 200 {
					t.Fatalf("GET /api/users/me on A, B = %d, %d; want 200 on both", a, b)
				}
				out := mustCLI(t, env, "", "users", "disable", name)
				if !strings.Contains(out, "disabled Demo-lition") || !strings.Contains(out, "ended 1 sessions") {
					t.Errorf("users disable printed %q", out)
				}
				// The first request after, on the instance that did not log it in.
				if b := c.me(urlB); b != 401 {
					t.Errorf("GET /api/users/me on B after disabling = %d, want 401", b)
				}
				if a := c.me(urlA); a != 401 {
					t.Errorf("GET /api/users/me on A after disabling = %d, want 401", a)
				}
			})

			t.Run("DisabledLogInIs403AfterTheRightPasswordOnly", func(t *testing.T) {
				c := newOperatorClient(t, urlB)
				code, body := c.login(urlB, name, pw)
				if code != 403 || !strings.Contains(body, auth.MsgAccountDisabled) {
					t.Errorf("right password = %d %s; want 403 with %q", code, body, auth.MsgAccountDisabled)
				}
				code, body = c.login(urlB, name, "not-the-password")
				if code != 401 || !strings.Contains(body, auth.MsgInvalidCredential) {
					t.Errorf("wrong password = %d %s; want the usual 401", code, body)
				}
				if c.me(urlB) != 401 {
					t.Errorf("a refused log-in left a session")
				}
			})

			t.Run("EnableLetsItLogInAgain", func(t *testing.T) {
				out := mustCLI(t, env, "", "users", "enable", name, "--json")
				var res changeJSON
				decode(t, out, &res)
				if !res.Changed || res.Username != name {
					t.Errorf("users enable --json = %+v", res)
				}
				if code, body := newOperatorClient(t, urlA).login(urlA, name, pw); code != 200 {
					t.Errorf("log-in after enabling = %d %s", code, body)
				}
			})

			t.Run("UnlockClearsTheThrottle", func(t *testing.T) {
				newOperatorClient(t, urlA).login(urlA, name, "a-wrong-guess")
				var shown struct {
					Throttles []throttleJSON `json:"throttles"`
				}
				decode(t, mustCLI(t, env, "", "users", "show", name, "--json"), &shown)
				if len(shown.Throttles) == 0 || shown.Throttles[0].Failures != 1 {
					t.Fatalf("throttles after a failure = %+v, want one failure", shown.Throttles)
				}
				if out := mustCLI(t, env, "", "users", "unlock", name); !strings.Contains(out, "unlocked Demo-lition") {
					t.Errorf("users unlock printed %q", out)
				}
				decode(t, mustCLI(t, env, "", "users", "show", name, "--json"), &shown)
				if len(shown.Throttles) != 0 {
					t.Errorf("throttles after unlock = %+v", shown.Throttles)
				}
			})

			const newPW = "a brand new passphrase"
			t.Run("SetPasswordReadsStdinAndEndsSessions", func(t *testing.T) {
				c := newOperatorClient(t, urlA)
				if code, _ := c.login(urlA, name, pw); code != 200 {
					t.Fatalf("log-in = %d", code)
				}
				if _, err := authmeCLI(t, env, "", "users", "set-password", name); err == nil || !strings.Contains(err.Error(), "no password on standard input") {
					t.Errorf("set-password with nothing on stdin = %v", err)
				}
				if _, err := authmeCLI(t, env, "password\n", "users", "set-password", name); err == nil || !strings.Contains(err.Error(), auth.MsgPasswordCommon) {
					t.Errorf("set-password of a common password = %v, want the rule's message", err)
				}
				out := mustCLI(t, env, newPW+"\n", "users", "set-password", name)
				if !strings.Contains(out, "set the password of Demo-lition") || strings.Contains(out, "ended 0 sessions") {
					t.Errorf("set-password printed %q", out)
				}
				if c.me(urlB) != 401 {
					t.Errorf("the session outlived set-password")
				}
				if code, _ := c.login(urlB, name, pw); code != 401 {
					t.Errorf("old password = %d, want 401", code)
				}
				if code, body := c.login(urlB, name, newPW); code != 200 {
					t.Errorf("new password = %d %s", code, body)
				}
			})

			t.Run("SessionsListAndEnd", func(t *testing.T) {
				var before, sessions []sessionJSON
				decode(t, mustCLI(t, env, "", "sessions", "list", name, "--json"), &before)
				c := newOperatorClient(t, urlA)
				if code, _ := c.login(urlA, name, newPW); code != 200 {
					t.Fatalf("log-in = %d", code)
				}
				decode(t, mustCLI(t, env, "", "sessions", "list", name, "--json"), &sessions)
				if len(sessions) != len(before)+1 {
					t.Fatalf("sessions list = %+v, want one more than %+v", sessions, before)
				}
				var mine string
				for _, s := range sessions {
					if !slices.ContainsFunc(before, func(b sessionJSON) bool { return b.ID == s.ID }) {
						mine = s.ID
					}
				}
				if out := mustCLI(t, env, "", "sessions", "list", name); !strings.Contains(out, mine) {
					t.Errorf("the table lacks session %s:\n%s", mine, out)
				}
				mustCLI(t, env, "", "sessions", "end", name, mine)
				if c.me(urlB) != 401 {
					t.Errorf("the session outlived sessions end ID")
				}
				if _, err := authmeCLI(t, env, "", "sessions", "end", name, mine); err == nil {
					t.Errorf("ending a session that is gone succeeded")
				}
				var res changeJSON
				decode(t, mustCLI(t, env, "", "sessions", "end", name, "--json"), &res)
				if int(res.SessionsEnded) != len(before) {
					t.Errorf("sessions end (all) = %+v, want %d ended", res, len(before))
				}
			})

			t.Run("ShowListsTheEvents", func(t *testing.T) {
				var shown struct {
					accountJSON
					Events []eventJSON `json:"events"`
				}
				decode(t, mustCLI(t, env, "", "users", "show", "demo@user.io", "--json"), &shown)
				kinds := map[string]bool{}
				for _, ev := range shown.Events {
					kinds[ev.Kind] = true
				}
				for _, k := range []string{"account-disabled", "account-enabled", "account-unlocked", "password-set", "sessions-ended"} {
					if !kinds[k] {
						t.Errorf("users show lacks a %s event: %+v", k, shown.Events)
					}
				}
				if shown.Username != name || shown.DisabledAt != nil {
					t.Errorf("users show = %+v", shown.accountJSON)
				}
				if out := mustCLI(t, env, "", "users", "show", "1"); !strings.Contains(out, "account-disabled") {
					t.Errorf("users show (by id) table lacks the events:\n%s", out)
				}
			})

			t.Run("ListAndPurgePrintJSON", func(t *testing.T) {
				var users []accountJSON
				decode(t, mustCLI(t, env, "", "users", "list", "--json"), &users)
				if len(users) != 3 {
					t.Errorf("users list = %+v, want the 3 demo users", users)
				}
				decode(t, mustCLI(t, env, "", "users", "list", "--query", "FAKEUSER", "--limit", "1", "--json"), &users)
				if len(users) != 1 || users[0].Username != "FakeUser1" {
					t.Errorf("users list --query FAKEUSER --limit 1 = %+v", users)
				}
				var purged purgeJSON
				decode(t, mustCLI(t, env, "", "purge", "--json"), &purged)
			})

			t.Run("DeleteLeavesNoRowBehind", func(t *testing.T) {
				const victim = "FakeUser2"
				c := newOperatorClient(t, urlA)
				if code, _ := c.login(urlA, victim, "password3"); code != 200 {
					t.Fatalf("log-in = %d", code)
				}
				newOperatorClient(t, urlA).login(urlA, victim, "wrong-guess") // a throttle row
				var a accountJSON
				decode(t, mustCLI(t, env, "", "users", "show", victim, "--json"), &a)
				db := testdb.OpenWith(t, opts)
				if n := rowsReferring(t, db, a.ID); n == 0 {
					t.Fatal("no rows refer to the account before the delete")
				}
				_, err := authmeCLI(t, env, "", "users", "delete", victim)
				if _, ok := err.(usageError); !ok {
					t.Errorf("delete without --yes and without a terminal = %v, want a usage error", err)
				}
				if out := mustCLI(t, env, "", "users", "delete", victim, "--yes"); !strings.Contains(out, "deleted FakeUser2") {
					t.Errorf("users delete printed %q", out)
				}
				if n := rowsReferring(t, db, a.ID); n != 0 {
					t.Errorf("%d rows still refer to the deleted account", n)
				}
				if c.me(urlB) != 401 {
					t.Errorf("the deleted account's session is still honoured")
				}
				if _, err := authmeCLI(t, env, "", "users", "show", victim); err == nil || !strings.Contains(err.Error(), "no account") {
					t.Errorf("users show of the deleted account = %v", err)
				}
			})

			t.Run("DeleteRefusedWhileAProductTableRefersToIt", func(t *testing.T) {
				const kept = "FakeUser1"
				var a accountJSON
				decode(t, mustCLI(t, env, "", "users", "show", kept, "--json"), &a)
				db := testdb.OpenWith(t, opts)
				if _, err := db.SQL().Exec(`CREATE TABLE "Spots" ("id" INTEGER PRIMARY KEY, "ownerId" INTEGER NOT NULL REFERENCES "Users" ("id"))`); err != nil {
					t.Fatal(err)
				}
				if _, err := db.SQL().Exec(`INSERT INTO "Spots" ("id", "ownerId") VALUES (1, $1)`, a.ID); err != nil {
					t.Fatal(err)
				}
				newOperatorClient(t, urlA).login(urlA, kept, "password2")
				before := rowsReferring(t, db, a.ID)
				_, err := authmeCLI(t, env, "", "users", "delete", kept, "--yes")
				if err == nil || err.Error() != auth.MsgAccountReferenced {
					t.Errorf("users delete = %v, want %q", err, auth.MsgAccountReferenced)
				}
				if after := rowsReferring(t, db, a.ID); after != before {
					t.Errorf("%d rows refer to the account after the refused delete, %d before", after, before)
				}
			})

			t.Run("MistakesAreUsageErrors", func(t *testing.T) {
				for _, args := range [][]string{
					{"users"}, {"users", "frob"}, {"users", "show"}, {"users", "show", "a", "b"},
					{"users", "list", "--limit", "0"}, {"sessions", "end"}, {"purge", "now"}, {"users", "list", "--nope"},
				} {
					if _, err := authmeCLI(t, env, "", args...); err == nil {
						t.Errorf("authme %v succeeded", args)
					} else if _, ok := err.(usageError); !ok {
						t.Errorf("authme %v = %v, want a usage error", args, err)
					}
				}
				if _, err := authmeCLI(t, env, "", "users", "show", "nobody-at-all"); err == nil || strings.Contains(err.Error(), "\n") {
					t.Errorf("users show of an unknown account = %q, want one line", err)
				}
			})
		})
	}
}

// rowsReferring counts the rows of every table in the database that refer to the
// account: its Users row, rows whose "userId" is its id, and its log-in throttle keys.
// It lists the tables itself, so a table added later is counted too.
func rowsReferring(t *testing.T, db *store.DB, userID int64) int {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	total, checked := 0, 0
	for _, table := range tables {
		cols := columns(t, db, table)
		var where []string
		var args []any
		switch {
		case table == "Users":
			where, args = append(where, `"id" = $1`), append(args, userID)
		case cols["userId"]:
			where, args = append(where, `"userId" = $1`), append(args, userID)
		case table == "LoginThrottles":
			where, args = append(where, `"key" = $1 OR "key" LIKE $2`), append(args, "u:"+strconv.FormatInt(userID, 10), "d:"+strconv.FormatInt(userID, 10)+":%")
		case cols["ownerId"]:
			continue // the product's table of the refusal test: the delete never touches it
		}
		if len(where) == 0 {
			continue
		}
		checked++
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM "`+table+`" WHERE `+where[0], args...).Scan(&n); err != nil {
			t.Fatalf("count rows of %s: %v", table, err)
		}
		total += n
	}
	if checked < len(store.AccountTables) {
		t.Fatalf("counted %d tables of %v, want at least authme's %d", checked, tables, len(store.AccountTables))
	}
	return total
}

// columns names table's columns.
func columns(t *testing.T, db *store.DB, table string) map[string]bool {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT * FROM "` + table + `" WHERE 1 = 0`)
	if err != nil {
		t.Fatalf("read columns of %s: %v", table, err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}
