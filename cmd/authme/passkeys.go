package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"authme/internal/auth"
	"authme/internal/store"
)

// passkeyJSON is a passkey in --json output.
type passkeyJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  *string `json:"createdAt"`
	LastUsedAt *string `json:"lastUsedAt"`
}

// passkeysList runs `authme passkeys list ACCOUNT [--json]`, oldest first.
func (e env) passkeysList(ctx context.Context, db *store.DB, args []string) error {
	a, asJSON, err := oneAccount(ctx, db, "passkeys list", args)
	if err != nil {
		return err
	}
	pks, err := db.Passkeys(ctx, a.ID)
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, len(pks))
	t := &table{header: []string{"ID", "NAME", "ADDED", "LAST USED"}}
	for i, p := range pks {
		out[i] = passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: jsonTime(p.CreatedAt), LastUsedAt: jsonTime(p.LastUsedAt)}
		t.add(p.ID, p.Name, stamp(p.CreatedAt), stamp(p.LastUsedAt))
	}
	return output(e.stdout, asJSON, out, t)
}

// passkeysRemove runs `authme passkeys remove ACCOUNT ID [--json]`: for an owner whose
// device was lost or stolen and who cannot log in to remove it. Every session of the
// account ends too, since that passkey may have started them.
func (e env) passkeysRemove(ctx context.Context, db *store.DB, args []string) error {
	fs := flag.NewFlagSet("passkeys remove", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommand(fs, args, 2, 2, "authme passkeys remove ACCOUNT ID [--json]")
	if err != nil {
		return err
	}
	a, err := account(ctx, db, pos[0])
	if err != nil {
		return err
	}
	ended, err := db.RemovePasskeyByOperator(ctx, a.ID, pos[1], time.Now())
	if errors.Is(err, auth.ErrPasskeyNotFound) {
		return fmt.Errorf("%s has no passkey %q (see authme passkeys list %s)", a.Username, pos[1], a.Username)
	}
	if err != nil {
		return err
	}
	return e.change(*asJSON, a, true, ended, fmt.Sprintf("removed passkey %s of %s (id %d); ended %d sessions", pos[1], a.Username, a.ID, ended))
}
