package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"authme/internal/auth"
	"authme/internal/mfa"
	"authme/internal/store"
)

// operator runs the operator's commands (users, sessions, purge) over the configured
// database, the one serve uses.
func (e env) operator(ctx context.Context, cmd string, args []string) error {
	sub := ""
	if cmd != "purge" {
		if len(args) == 0 {
			return usageError(cmd + ": which command? (see authme help)")
		}
		sub, args = args[0], args[1:]
	}
	run, ok := map[string]func(context.Context, *store.DB, []string) error{
		"users list":                e.usersList,
		"users show":                e.usersShow,
		"users disable":             e.usersDisable,
		"users enable":              e.usersEnable,
		"users unlock":              e.usersUnlock,
		"users set-password":        e.usersSetPassword,
		"users delete":              e.usersDelete,
		"users reset-second-factor": e.usersResetSecondFactor,
		"keys rotate":               e.keysRotate,
		"passkeys list":             e.passkeysList,
		"passkeys remove":           e.passkeysRemove,
		"sessions list":             e.sessionsList,
		"sessions end":              e.sessionsEnd,
		"purge":                     e.purge,
	}[strings.TrimSpace(cmd+" "+sub)]
	if !ok {
		return usageError(fmt.Sprintf("unknown command %q", strings.TrimSpace(cmd+" "+sub)))
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// The commands read and write the newest schema: an older one would fail with a
	// missing column instead of saying what to do.
	if n, err := db.PendingMigrations(ctx); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("%w (%d pending)", store.ErrPendingMigrations, n)
	}
	return explain(run(ctx, db, args))
}

// explain turns the domain's errors into one line an operator can act on.
func explain(err error) error {
	var ae *auth.Error
	if err == nil || !errors.As(err, &ae) || ae.Code == auth.EInternal || ae.Code == auth.EUnavailable {
		return err
	}
	if len(ae.Fields) == 0 {
		return errors.New(ae.Message)
	}
	keys := make([]string, 0, len(ae.Fields))
	for k := range ae.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + ae.Fields[k]
	}
	return errors.New(strings.Join(parts, "; "))
}

// account finds the account a command names, by username, email or id.
func account(ctx context.Context, db *store.DB, ref string) (store.Account, error) {
	a, err := db.FindAccount(ctx, ref)
	if errors.Is(err, auth.ErrNotFound) {
		return store.Account{}, fmt.Errorf("no account is named %q (give a username, an email address or an id)", ref)
	}
	return a, err
}

// accountJSON is an account in --json output.
type accountJSON struct {
	ID              int64   `json:"id"`
	Username        string  `json:"username"`
	Email           string  `json:"email"`
	EmailVerifiedAt *string `json:"emailVerifiedAt"`
	DisabledAt      *string `json:"disabledAt"`
	CreatedAt       string  `json:"createdAt"`
}

func toAccountJSON(a store.Account) accountJSON {
	return accountJSON{ID: a.ID, Username: a.Username, Email: a.Email,
		EmailVerifiedAt: jsonTime(a.EmailVerifiedAt), DisabledAt: jsonTime(a.DisabledAt), CreatedAt: a.CreatedAt}
}

// usersList runs `authme users list [--query TEXT] [--limit N] [--json]`.
func (e env) usersList(ctx context.Context, db *store.DB, args []string) error {
	fs := flag.NewFlagSet("users list", flag.ContinueOnError)
	query := fs.String("query", "", "only accounts whose username or email contains this")
	limit := fs.Int("limit", 50, "at most this many accounts")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCommand(fs, args, 0, 0, "authme users list [--query TEXT] [--limit N] [--json]"); err != nil {
		return err
	}
	if *limit < 1 {
		return usageError("users list: --limit must be at least 1")
	}
	accounts, err := db.ListAccounts(ctx, *query, *limit)
	if err != nil {
		return err
	}
	out := make([]accountJSON, len(accounts))
	t := &table{header: []string{"ID", "USERNAME", "EMAIL", "VERIFIED", "DISABLED", "CREATED"}}
	for i, a := range accounts {
		out[i] = toAccountJSON(a)
		t.add(strconv.FormatInt(a.ID, 10), a.Username, a.Email, stamp(a.EmailVerifiedAt), stamp(a.DisabledAt), a.CreatedAt)
	}
	return output(e.stdout, *asJSON, out, t)
}

// recentEvents is how many events `users show` lists.
const recentEvents = 20

// eventJSON is a security event in --json output.
type eventJSON struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"`
	At        *string           `json:"at"`
	Address   string            `json:"address"`
	UserAgent string            `json:"userAgent"`
	SessionID string            `json:"sessionId"`
	Count     int               `json:"count"`
	Detail    map[string]string `json:"detail"`
}

// throttleJSON is a log-in throttle row in --json output.
type throttleJSON struct {
	Key          string  `json:"key"`
	Failures     int     `json:"failures"`
	BlockedUntil *string `json:"blockedUntil"`
}

// usersShow runs `authme users show ACCOUNT [--json]`.
func (e env) usersShow(ctx context.Context, db *store.DB, args []string) error {
	fs := flag.NewFlagSet("users show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommand(fs, args, 1, 1, "authme users show ACCOUNT [--json]")
	if err != nil {
		return err
	}
	a, err := account(ctx, db, pos[0])
	if err != nil {
		return err
	}
	sessions, err := e.sessionManager(db).List(ctx, a.ID)
	if err != nil {
		return err
	}
	throttles, err := db.AccountThrottles(ctx, a.ID)
	if err != nil {
		return err
	}
	events, err := db.ListEvents(ctx, a.ID, 0, recentEvents)
	if err != nil {
		return err
	}
	if *asJSON {
		v := struct {
			accountJSON
			Sessions  int            `json:"sessions"`
			Throttles []throttleJSON `json:"throttles"`
			Events    []eventJSON    `json:"events"`
		}{accountJSON: toAccountJSON(a), Sessions: len(sessions), Throttles: []throttleJSON{}, Events: []eventJSON{}}
		for _, t := range throttles {
			v.Throttles = append(v.Throttles, throttleJSON{Key: t.Key, Failures: t.Failures, BlockedUntil: jsonTime(t.BlockedUntil)})
		}
		for _, ev := range events {
			v.Events = append(v.Events, eventJSON{ID: ev.ID, Kind: ev.Kind, At: jsonTime(ev.At), Address: ev.Address,
				UserAgent: ev.UserAgent, SessionID: ev.SessionID, Count: ev.Count, Detail: ev.Detail})
		}
		return output(e.stdout, true, v, nil)
	}
	facts := &table{header: []string{"ACCOUNT", strconv.FormatInt(a.ID, 10)}}
	facts.add("username", a.Username)
	facts.add("email", a.Email)
	facts.add("email verified", stamp(a.EmailVerifiedAt))
	facts.add("disabled", stamp(a.DisabledAt))
	facts.add("created", a.CreatedAt)
	facts.add("live sessions", strconv.Itoa(len(sessions)))
	for _, t := range throttles {
		facts.add("throttle "+t.Key, fmt.Sprintf("%d failures, blocked until %s", t.Failures, stamp(t.BlockedUntil)))
	}
	if err := facts.write(e.stdout); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	evs := &table{header: []string{"WHEN", "EVENT", "COUNT", "ADDRESS", "DETAIL"}}
	for _, ev := range events {
		evs.add(stamp(ev.At), ev.Kind, strconv.Itoa(ev.Count), orDash(ev.Address), detailText(ev.Detail))
	}
	return evs.write(e.stdout)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// detailText prints an event's detail as k=v pairs, in key order.
func detailText(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + d[k]
	}
	return orDash(strings.Join(keys, " "))
}

// changeJSON is what a command that changes an account prints with --json.
type changeJSON struct {
	ID            int64  `json:"id"`
	Username      string `json:"username"`
	Changed       bool   `json:"changed"`
	SessionsEnded int64  `json:"sessionsEnded"`
	Message       string `json:"message"`
}

// change prints the outcome of a command that changes an account.
func (e env) change(asJSON bool, a store.Account, changed bool, ended int64, msg string) error {
	if asJSON {
		return output(e.stdout, true, changeJSON{ID: a.ID, Username: a.Username, Changed: changed, SessionsEnded: ended, Message: msg}, nil)
	}
	_, err := fmt.Fprintln(e.stdout, msg)
	return err
}

// oneAccount parses a command that takes one account and --json, and finds the account.
func oneAccount(ctx context.Context, db *store.DB, name string, args []string) (store.Account, bool, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommand(fs, args, 1, 1, "authme "+name+" ACCOUNT [--json]")
	if err != nil {
		return store.Account{}, false, err
	}
	a, err := account(ctx, db, pos[0])
	return a, *asJSON, err
}

// usersDisable runs `authme users disable ACCOUNT`.
func (e env) usersDisable(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "users disable", args)
	if err != nil {
		return err
	}
	changed, ended, err := db.DisableAccount(ctx, a.ID, time.Now())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s was disabled already", a.Username)
	if changed {
		msg = fmt.Sprintf("disabled %s (id %d); ended %d sessions", a.Username, a.ID, ended)
	}
	return e.change(asJSON, a, changed, ended, msg)
}

// usersEnable runs `authme users enable ACCOUNT`.
func (e env) usersEnable(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "users enable", args)
	if err != nil {
		return err
	}
	changed, err := db.EnableAccount(ctx, a.ID, time.Now())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s was not disabled", a.Username)
	if changed {
		msg = fmt.Sprintf("enabled %s (id %d)", a.Username, a.ID)
	}
	return e.change(asJSON, a, changed, 0, msg)
}

// usersUnlock runs `authme users unlock ACCOUNT`.
func (e env) usersUnlock(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "users unlock", args)
	if err != nil {
		return err
	}
	n, err := db.UnlockAccount(ctx, a.ID, time.Now())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s had no failed log-ins to clear", a.Username)
	if n > 0 {
		msg = fmt.Sprintf("unlocked %s (id %d): cleared %d throttle records", a.Username, a.ID, n)
	}
	return e.change(asJSON, a, n > 0, 0, msg)
}

// usersSetPassword runs `authme users set-password ACCOUNT`, reading the password from
// the first line of standard input: never from the arguments, which other users of
// the machine can read in the process list and which shells keep in their history.
func (e env) usersSetPassword(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "users set-password", args)
	if err != nil {
		return err
	}
	var pw string
	if isTerminal(e.stdin) {
		fmt.Fprintf(e.stderr, "New password for %s: ", a.Username)
		err = withoutEcho(e.stdin, func() (err error) { pw, err = readPassword(e.stdin); return err })
		fmt.Fprintln(e.stderr)
	} else {
		pw, err = readPassword(e.stdin)
	}
	if err != nil {
		return err
	}
	users, err := auth.NewService(db, e.hasher(), e.log)
	if err != nil {
		return err
	}
	hash, err := users.PrepareOperatorPassword(ctx, a.User, pw)
	if err != nil {
		return err
	}
	ended, err := db.SetAccountPassword(ctx, a.ID, hash, time.Now())
	if err != nil {
		return err
	}
	return e.change(asJSON, a, true, ended, fmt.Sprintf("set the password of %s (id %d); ended %d sessions", a.Username, a.ID, ended))
}

// readPassword reads one line of r, without its line ending; an empty one is refused.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		r = strings.NewReader("")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input: give it as one line, such as `authme users set-password NAME < file`")
	}
	return line, nil
}

// usersDelete runs `authme users delete ACCOUNT [--yes]`: on a terminal it asks first;
// elsewhere it needs --yes, so a script never deletes by accident.
func (e env) usersDelete(ctx context.Context, db *store.DB, args []string) error {
	fs := flag.NewFlagSet("users delete", flag.ContinueOnError)
	yes := fs.Bool("yes", false, "delete without asking")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommand(fs, args, 1, 1, "authme users delete ACCOUNT [--yes] [--json]")
	if err != nil {
		return err
	}
	a, err := account(ctx, db, pos[0])
	if err != nil {
		return err
	}
	if !*yes {
		if !isTerminal(e.stdin) {
			return usageError("users delete: standard input is not a terminal to ask on: add --yes to delete " + a.Username)
		}
		fmt.Fprintf(e.stderr, "Delete %s (id %d, %s) and everything authme keeps of it? [y/N] ", a.Username, a.ID, a.Email)
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return errors.New("not deleted")
		}
	}
	if err := db.DeleteAccount(ctx, a.ID); err != nil {
		return err
	}
	return e.change(*asJSON, a, true, 0, fmt.Sprintf("deleted %s (id %d)", a.Username, a.ID))
}

// usersResetSecondFactor runs `authme users reset-second-factor ACCOUNT`: for an owner
// who lost both their authenticator app and their recovery codes. The secret, the
// recovery codes and waiting log-ins go, and every session of the account ends; the
// password alone logs in again.
func (e env) usersResetSecondFactor(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "users reset-second-factor", args)
	if err != nil {
		return err
	}
	if _, err := db.TOTPFactor(ctx, a.ID); errors.Is(err, auth.ErrNotFound) {
		return e.change(asJSON, a, false, 0, fmt.Sprintf("%s has no second factor", a.Username))
	} else if err != nil {
		return err
	}
	if err := mfa.New(db, nil, mfa.Options{Log: e.log}).RemoveByOperator(ctx, a.ID); err != nil {
		return err
	}
	return e.change(asJSON, a, true, 0, fmt.Sprintf("removed the second factor of %s (id %d) and ended its sessions", a.Username, a.ID))
}
