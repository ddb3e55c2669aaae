package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"authme/internal/mfa"
	"authme/internal/store"
)

// devKeyFile is where development keeps its ENCRYPTION_KEY when none is set: beside the
// SQLite file, so the one-command server keeps its second factors across restarts.
const devKeyFile = "encryption.key"

// encryptionKeys is the keyring that seals second-factor secrets: ENCRYPTION_KEY; in
// development on SQLite without it, a key kept in a file beside the database file (made
// on first use); otherwise none (second factors are off, said once in the log).
// PostgreSQL gets no file: several instances would each make their own key.
func (e env) encryptionKeys() (*mfa.Keyring, error) {
	if e.cfg.EncryptionKeys != nil {
		return e.cfg.EncryptionKeys, nil
	}
	if e.cfg.IsProduction() || e.cfg.UsesPostgres() {
		e.log.Warn("ENCRYPTION_KEY is not set: two-factor authentication is off (make a key with: openssl rand -base64 32)")
		return nil, nil
	}
	path := filepath.Join(filepath.Dir(e.cfg.DBFile), devKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, mfa.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("make a development encryption key: %w", err)
		}
		b = []byte(base64.StdEncoding.EncodeToString(key) + "\n")
		// O_EXCL: of two processes starting at once, one writes and both read its key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.Write(b)
			err = errors.Join(err, f.Close())
		}
		if errors.Is(err, fs.ErrExist) {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, fmt.Errorf("keep a development encryption key in %s: %w", path, err)
		}
		e.log.Info("ENCRYPTION_KEY is not set: made a development key in " + path + " (set ENCRYPTION_KEY in production)")
	} else if err != nil {
		return nil, fmt.Errorf("read the development encryption key %s: %w", path, err)
	}
	keys, err := mfa.ParseKeys(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("the development encryption key %s: %w", path, err)
	}
	return keys, nil
}

// keysRotate runs `authme keys rotate`: every second-factor secret not sealed under the
// first key of ENCRYPTION_KEY is sealed again under it, so an older key can then be
// dropped from the list.
func (e env) keysRotate(ctx context.Context, db *store.DB, args []string) error {
	if len(args) > 0 {
		return usageError("keys rotate takes no arguments")
	}
	keys, err := e.encryptionKeys()
	if err != nil {
		return err
	}
	if keys == nil {
		return errors.New("ENCRYPTION_KEY is not set: there is no key to rotate to")
	}
	n, err := mfa.Reseal(ctx, db, keys)
	fmt.Fprintf(e.stdout, "sealed %d secrets under key %s\n", n, keys.SealingID())
	return err
}
