package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"authme/internal/testdb"
)

// TestPasskeyOperator: the operator lists an account's passkeys and removes one whose
// device was lost; the removal ends the account's sessions and the passkey no longer
// logs in.
func TestPasskeyOperator(t *testing.T) {
	t.Parallel()
	perTarget(t, func(t *testing.T, tg testdb.Target) {
		site := startPasskeySite(t, tg, 1)
		acct, c := loggedIn(t, site, "op-passkey")
		a, id := register(t, site, c, acct.Email, "Lost phone", true)

		var list []map[string]any
		if err := json.Unmarshal([]byte(mustCLI(t, site.env(passkeySettings...), "", "passkeys", "list", acct.Email, "--json")), &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0]["id"] != id || list[0]["name"] != "Lost phone" {
			t.Fatalf("passkeys list --json = %v, want the one passkey", list)
		}
		if out := mustCLI(t, site.env(passkeySettings...), "", "passkeys", "list", acct.Email); !strings.Contains(out, "Lost phone") {
			t.Errorf("passkeys list printed %q", out)
		}

		out := mustCLI(t, site.env(passkeySettings...), "", "passkeys", "remove", acct.Email, id)
		if !strings.Contains(out, "removed passkey "+id) {
			t.Errorf("passkeys remove printed %q", out)
		}
		if got := c.sessionUser(); got != "" {
			t.Errorf("the account's session survived the removal (user %q)", got)
		}
		if r := passkeyLogin(t, site.client(t), a); r.Status != http.StatusUnauthorized {
			t.Errorf("the removed passkey logs in: %s", r)
		}
		if _, err := authmeCLI(t, site.env(passkeySettings...), "", "passkeys", "remove", acct.Email, id); err == nil || !strings.Contains(err.Error(), "has no passkey") {
			t.Errorf("removing it again = %v, want a clear error", err)
		}
	})
}
