package mfa

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestKeyring(t *testing.T) {
	t.Parallel()
	oldRing, _ := NewKeyring(testKey(1))
	sealed, id, err := oldRing.Seal(7, []byte("JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || id != KeyID(testKey(1)) {
		t.Fatalf("sealed %q under %q", sealed, id)
	}
	rotated, err := ParseKeys(base64.StdEncoding.EncodeToString(testKey(2)) + ", " + base64.RawURLEncoding.EncodeToString(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("AnOlderKeyStillOpens", func(t *testing.T) {
		got, err := rotated.Open(7, sealed, id)
		if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
			t.Errorf("Open = %q, %v", got, err)
		}
	})
	t.Run("TheFirstKeySeals", func(t *testing.T) {
		if rotated.SealingID() != KeyID(testKey(2)) {
			t.Errorf("sealing key %s, want the first", rotated.SealingID())
		}
	})
	t.Run("AnotherAccountCannotOpenIt", func(t *testing.T) {
		if _, err := rotated.Open(8, sealed, id); err == nil {
			t.Error("a secret opened under another account's id")
		}
	})
	t.Run("AMissingKeyIsSaid", func(t *testing.T) {
		newOnly, _ := NewKeyring(testKey(2))
		if _, err := newOnly.Open(7, sealed, id); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("Open = %v, want ErrUnknownKey", err)
		}
	})
	t.Run("TamperingIsRefused", func(t *testing.T) {
		b, _ := base64.StdEncoding.DecodeString(sealed)
		b[len(b)-1] ^= 1
		if _, err := rotated.Open(7, base64.StdEncoding.EncodeToString(b), id); err == nil {
			t.Error("a tampered secret opened")
		}
	})
}

func TestParseKeysRefuses(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]string{
		"Short":       base64.StdEncoding.EncodeToString(testKey(1)[:16]),
		"NotBase64":   "not a key!",
		"Twice":       base64.StdEncoding.EncodeToString(testKey(1)) + "," + base64.StdEncoding.EncodeToString(testKey(1)),
		"EmptyInList": base64.StdEncoding.EncodeToString(testKey(1)) + ",",
	} {
		if _, err := ParseKeys(s); err == nil {
			t.Errorf("%s: ParseKeys(%q) accepted it", name, s)
		} else if strings.Contains(err.Error(), s) && s != "" {
			t.Errorf("%s: the error %q quotes the key", name, err)
		}
	}
	if k, err := ParseKeys(""); k != nil || err != nil {
		t.Errorf("ParseKeys(\"\") = %v, %v; want no keyring", k, err)
	}
}
