package password_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"authme/internal/password"
)

// Hashes made by bcryptjs 3.0.3, the version the Express reference installs, with
//
//	const b = require('bcryptjs');
//	const a = (pw) => b.hashSync(pw, b.genSaltSync(10).replace(/^\$2b\$/, '$2a$'));
//
// run in /tmp/ref after `cp -r shared/reference/express-authenticate-me /tmp/ref && npm install`.
// bcryptjs 2.x (the seed's era) writes `$2a$` itself; 3.x writes `$2b$` unless given a
// `$2a$` salt, so both prefixes occur in Express-made databases. The algorithm is the same.
const (
	bcryptjsPassword   = "$2a$10$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G" // a('password')
	bcryptjsPassword2  = "$2a$10$I5As4ytTEJzesME.T/CIWuFJuTW4afpsxeTBbrUYBF8S962EJ8r.C" // a('password2')
	bcryptjsPassword3  = "$2a$10$gQT6ety02Cb2o2vnQryBWOYWT4ajzYYaXDaldT2K24QBDEjTl8lxS" // a('password3')
	bcryptjs2bPassword = "$2b$10$OalQwc4UVlb55H2Z6fcUIOpT7ZnbhBL.HZdqQFOUnh4cE/2PQSqE2" // b.hashSync('password')
	bcryptjsUnicode    = "$2a$10$y/veuP1XgrotqxuF9pGJnO9EeasfVPKWCTbvx52G66W68SxUcX.T6" // a('pässwörd-🔑-密码')
	bcryptjs72x        = "$2a$10$kAAb.D6X559XPaHjlvVG0.KPPqTtmh2Jy1R798EvT1rGqRefDx.0C" // a('x'.repeat(72))
	bcryptjs100y       = "$2a$10$tTEmqMp8FyYcwKCKN/YXVedRQ1HN97a5ynu8pO5PMkyR216JCErIC" // a('y'.repeat(100))
)

var argon2idFormat = regexp.MustCompile(`^\$argon2id\$v=19\$m=7168,t=5,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

// cheap are Argon2id parameters other than OWASP's, fast enough to hash freely in tests.
var cheap = password.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type verifier interface {
	Verify(hash, pw string) (ok, rehash bool, err error)
}

// verify calls h.Verify and fails the test on an error.
func verify(t *testing.T, h verifier, hash, pw string) (ok, rehash bool) {
	t.Helper()
	ok, rehash, err := h.Verify(hash, pw)
	if err != nil {
		t.Fatalf("Verify(%q, %d-byte password): %v", hash, len(pw), err)
	}
	return ok, rehash
}

func mustHash(t *testing.T, h *password.Hasher, pw string) string {
	t.Helper()
	hash, err := h.Hash(pw)
	if err != nil {
		t.Fatalf("Hash(%d-byte password): %v", len(pw), err)
	}
	return hash
}

func TestArgon2id(t *testing.T) {
	t.Parallel()
	h := password.NewArgon2id(password.OWASP)
	hash := mustHash(t, h, "correct horse battery staple")

	t.Run("FormatIsPHCWithOWASPParams", func(t *testing.T) {
		t.Parallel()
		if !argon2idFormat.MatchString(hash) {
			t.Errorf("hash %q does not match %s", hash, argon2idFormat)
		}
	})

	t.Run("RightPasswordVerifiesWithoutRehash", func(t *testing.T) {
		t.Parallel()
		if ok, rehash := verify(t, h, hash, "correct horse battery staple"); !ok || rehash {
			t.Errorf("Verify = ok %v, rehash %v; want true, false", ok, rehash)
		}
	})

	t.Run("WrongPasswordFails", func(t *testing.T) {
		t.Parallel()
		for _, pw := range []string{"correct horse battery stapl", "Correct horse battery staple", "", "correct horse battery staple "} {
			if ok, rehash := verify(t, h, hash, pw); ok || rehash {
				t.Errorf("Verify(%q) = ok %v, rehash %v; want false, false", pw, ok, rehash)
			}
		}
	})

	t.Run("SaltDiffersPerHash", func(t *testing.T) {
		t.Parallel()
		h := password.NewArgon2id(cheap)
		if a, b := mustHash(t, h, "same"), mustHash(t, h, "same"); a == b {
			t.Errorf("two hashes of one password are equal: %q", a)
		}
	})

	t.Run("OtherParamsVerifyAndAskForRehash", func(t *testing.T) {
		t.Parallel()
		old := mustHash(t, password.NewArgon2id(cheap), "password")
		if !strings.HasPrefix(old, "$argon2id$v=19$m=1024,t=1,p=1$") {
			t.Fatalf("cheap hash %q has unexpected parameters", old)
		}
		if ok, rehash := verify(t, h, old, "password"); !ok || !rehash {
			t.Errorf("Verify(cheap hash) under OWASP = ok %v, rehash %v; want true, true", ok, rehash)
		}
		if ok, rehash := verify(t, h, old, "wrong"); ok || rehash {
			t.Errorf("Verify(cheap hash, wrong) = ok %v, rehash %v; want false, false (no rehash for a failed check)", ok, rehash)
		}
		if ok, rehash := verify(t, password.NewArgon2id(cheap), old, "password"); !ok || rehash {
			t.Errorf("Verify(cheap hash) under cheap = ok %v, rehash %v; want true, false", ok, rehash)
		}
	})

	t.Run("BcryptHasherAsksToRehashArgon2", func(t *testing.T) {
		t.Parallel()
		if ok, rehash := verify(t, password.NewBcrypt(10), hash, "correct horse battery staple"); !ok || !rehash {
			t.Errorf("Verify under bcrypt = ok %v, rehash %v; want true, true", ok, rehash)
		}
	})

	t.Run("UnicodeRoundTrip", func(t *testing.T) {
		t.Parallel()
		h := password.NewArgon2id(cheap)
		pw := strings.Repeat("🔑", 64)
		hash := mustHash(t, h, pw)
		if ok, _ := verify(t, h, hash, pw); !ok {
			t.Error("64 four-byte characters do not verify")
		}
		if ok, _ := verify(t, h, hash, strings.Repeat("🔑", 63)); ok {
			t.Error("63 of 64 characters verify")
		}
	})
}

func TestBcryptjsHashesVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, hash, pw string
	}{
		{"DemoLition2a", bcryptjsPassword, "password"},
		{"FakeUser1_2a", bcryptjsPassword2, "password2"},
		{"FakeUser2_2a", bcryptjsPassword3, "password3"},
		{"Bcryptjs3Default2b", bcryptjs2bPassword, "password"},
		{"UnicodeIsUTF8", bcryptjsUnicode, "pässwörd-🔑-密码"},
		{"Exactly72Bytes", bcryptjs72x, strings.Repeat("x", 72)},
	}
	argon := password.NewArgon2id(password.OWASP)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if ok, rehash := verify(t, argon, tt.hash, tt.pw); !ok || !rehash {
				t.Errorf("argon2id hasher: Verify = ok %v, rehash %v; want true, true (move to argon2id)", ok, rehash)
			}
		})
	}
	// bcrypt costs ~0.1 s a check (far more under -race), so these run on one hash each.
	t.Run("BcryptHasherKeepsCost10", func(t *testing.T) {
		t.Parallel()
		if ok, rehash := verify(t, password.NewBcrypt(10), bcryptjsPassword, "password"); !ok || rehash {
			t.Errorf("bcrypt(10) hasher: Verify = ok %v, rehash %v; want true, false", ok, rehash)
		}
	})
	t.Run("WrongPasswordFails", func(t *testing.T) {
		t.Parallel()
		if ok, rehash := verify(t, argon, bcryptjsPassword2, "password"); ok || rehash {
			t.Errorf("Verify(password2's hash, password) = ok %v, rehash %v; want false, false", ok, rehash)
		}
	})
}

func TestBcrypt(t *testing.T) {
	t.Parallel()

	t.Run("HashIsModularCryptAtCost", func(t *testing.T) {
		t.Parallel()
		h := password.NewBcrypt(10)
		hash := mustHash(t, h, "password")
		if !strings.HasPrefix(hash, "$2a$10$") || len(hash) != 60 {
			t.Errorf("hash %q: want 60 characters starting $2a$10$ (the Express app reads it)", hash)
		}
		if ok, rehash := verify(t, h, hash, "password"); !ok || rehash {
			t.Errorf("Verify = ok %v, rehash %v; want true, false", ok, rehash)
		}
		if ok, _ := verify(t, h, hash, "passwore"); ok {
			t.Error("wrong password verifies")
		}
	})

	t.Run("OtherCostAsksForRehash", func(t *testing.T) {
		t.Parallel()
		low, err := bcrypt.GenerateFromPassword([]byte("password"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash := verify(t, password.NewBcrypt(10), string(low), "password"); !ok || !rehash {
			t.Errorf("Verify(cost 4) under bcrypt(10) = ok %v, rehash %v; want true, true", ok, rehash)
		}
	})

	t.Run("MaxPasswordBytes", func(t *testing.T) {
		t.Parallel()
		if n := password.NewBcrypt(10).MaxPasswordBytes(); n != 72 {
			t.Errorf("bcrypt MaxPasswordBytes = %d, want 72", n)
		}
		if n := password.NewArgon2id(password.OWASP).MaxPasswordBytes(); n < 1024 {
			t.Errorf("argon2id MaxPasswordBytes = %d, want no practical limit", n)
		}
	})

	t.Run("HashRefusesOver72Bytes", func(t *testing.T) {
		t.Parallel()
		h := password.NewBcrypt(10)
		for _, pw := range []string{strings.Repeat("a", 73), strings.Repeat("a", 100), strings.Repeat("🔑", 19)} {
			hash, err := h.Hash(pw)
			if err == nil || hash != "" {
				t.Errorf("Hash(%d bytes) = %q, %v; want an error and no hash", len(pw), hash, err)
			}
			if !errors.Is(err, bcrypt.ErrPasswordTooLong) {
				t.Errorf("Hash(%d bytes) error = %v, want bcrypt.ErrPasswordTooLong", len(pw), err)
			}
		}
	})
}

// TestLongPasswordsAreNotTruncated checks that no hasher lets a password stand in for a
// longer one it is a prefix of, the way a silently truncating bcrypt would.
func TestLongPasswordsAreNotTruncated(t *testing.T) {
	t.Parallel()
	argon := password.NewArgon2id(password.OWASP)
	bc := password.NewBcrypt(10)
	hashers := map[string]*password.Hasher{"argon2id": argon, "bcrypt": bc}
	long := strings.Repeat("L", 100)

	t.Run("Argon2idHashOf100BytesRefuses72BytePrefix", func(t *testing.T) {
		t.Parallel()
		hash := mustHash(t, argon, long)
		for name, h := range hashers {
			if ok, _ := verify(t, h, hash, long); !ok {
				t.Errorf("%s hasher: full 100-byte password does not verify", name)
			}
			for _, n := range []int{72, 73, 99} {
				if ok, _ := verify(t, h, hash, long[:n]); ok {
					t.Errorf("%s hasher: %d-byte prefix verifies against the 100-byte password's hash", name, n)
				}
			}
		}
	})

	t.Run("BcryptHashOf72BytesRefusesLongerPasswords", func(t *testing.T) {
		t.Parallel()
		pw72 := long[:72]
		hashes := map[string]string{"authme": mustHash(t, bc, pw72), "bcryptjs": bcryptjs72x}
		pws := map[string]string{"authme": pw72, "bcryptjs": strings.Repeat("x", 72)}
		for src, hash := range hashes {
			for name, h := range hashers {
				if ok, _ := verify(t, h, hash, pws[src]); !ok {
					t.Errorf("%s hash, %s hasher: the 72-byte password does not verify", src, name)
				}
				for _, extra := range []string{"L", "x", strings.Repeat("z", 28)} {
					pw := pws[src] + extra
					if ok, _ := verify(t, h, hash, pw); ok {
						t.Errorf("%s hash, %s hasher: a %d-byte password verifies against a 72-byte password's hash", src, name, len(pw))
					}
				}
			}
		}
	})

	t.Run("BcryptjsHashOf100BytesRefusesTheFullPassword", func(t *testing.T) {
		t.Parallel()
		// bcryptjs hashed only the first 72 bytes. authme refuses more than bcrypt reads
		// rather than cut it, so such an Express account needs a password reset.
		for name, h := range hashers {
			if ok, _ := verify(t, h, bcryptjs100y, strings.Repeat("y", 100)); ok {
				t.Errorf("%s hasher: a 100-byte password verifies against a bcrypt hash", name)
			}
		}
	})
}

func TestMalformedHashIsAnError(t *testing.T) {
	t.Parallel()
	const salt = "c29tZXNhbHRzb21lc2FsdA" // 16 bytes
	const key = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct {
		name, hash string
	}{
		{"Empty", ""},
		{"PlainText", "password"},
		{"Dollar", "$"},
		{"MD5Crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"},
		{"Argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"Argon2idPrefixOnly", "$argon2id$"},
		{"Argon2idNoKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"Argon2idExtraPart", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$x"},
		{"Argon2idEmptySaltAndKey", "$argon2id$v=19$m=19456,t=2,p=1$$"},
		{"Argon2idOldVersion", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"Argon2idNoVersion", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key + "$"},
		{"Argon2idVersionNotNumber", "$argon2id$v=x$m=19456,t=2,p=1$" + salt + "$" + key},
		{"Argon2idZeroMemory", "$argon2id$v=19$m=0,t=2,p=1$" + salt + "$" + key},
		{"Argon2idZeroTime", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{"Argon2idZeroThreads", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"Argon2idNegativeMemory", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key},
		{"Argon2idThreadsOverflow", "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key},
		{"Argon2idHugeMemory", "$argon2id$v=19$m=99999999,t=2,p=1$" + salt + "$" + key},
		{"Argon2idHugeTime", "$argon2id$v=19$m=19456,t=1000,p=1$" + salt + "$" + key},
		{"Argon2idVersionTrailingJunk", "$argon2id$v=19junk$m=19456,t=2,p=1$" + salt + "$" + key},
		{"Argon2idParamsTrailingJunk", "$argon2id$v=19$m=19456,t=2,p=1junk$" + salt + "$" + key},
		{"Argon2idParamsExtraParam", "$argon2id$v=19$m=19456,t=2,p=1,keyid=x$" + salt + "$" + key},
		{"Argon2idParamsOutOfOrder", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"Argon2idSaltNotBase64", "$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + key},
		{"Argon2idKeyNotBase64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$@@@@"},
		{"Argon2idPaddedBase64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key},
		{"Argon2idShortSalt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key},
		{"Argon2idShortKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$a2V5"},
		{"Argon2idKeyOver128Bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("QUFB", 44)},
		{"BcryptPrefixOnly", "$2a$"},
		{"BcryptTwoOnly", "$2"},
		{"BcryptTruncated", bcryptjsPassword[:40]},
		{"BcryptNoCost", "$2a$$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G"},
		{"BcryptCostTooHigh", "$2a$99$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G"},
		{"BcryptCostNotNumber", "$2a$xx$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G"},
		{"BcryptMajorVersion3", "$3a$10$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G"},
		{"BcryptBadBase64", "$2a$10$" + strings.Repeat("!", 53)},
		{"NULBytes", "$argon2id$v=19$m=19456,t=2,p=1$\x00$\x00"},
	}
	hashers := map[string]*password.Hasher{"argon2id": password.NewArgon2id(cheap), "bcrypt": password.NewBcrypt(10)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for name, h := range hashers {
				ok, rehash, err := h.Verify(tt.hash, "password")
				if err == nil || ok || rehash {
					t.Errorf("%s hasher: Verify(%q) = %v, %v, %v; want false, false, an error", name, tt.hash, ok, rehash, err)
				}
			}
		})
	}

	t.Run("WellFormedControlIsNoError", func(t *testing.T) {
		t.Parallel()
		// The same pieces, well put together, parse: so each case above fails for its flaw.
		hash := "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + key
		ok, rehash, err := password.NewArgon2id(cheap).Verify(hash, "password")
		if err != nil || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, nil", hash, ok, rehash, err)
		}
	})

	t.Run("UnknownFormatIsErrUnknownHash", func(t *testing.T) {
		t.Parallel()
		for _, hash := range []string{"", "password", "$argon2id$v=19$m=0,t=2,p=1$" + salt + "$" + key} {
			if _, _, err := password.NewArgon2id(cheap).Verify(hash, "password"); !errors.Is(err, password.ErrUnknownHash) {
				t.Errorf("Verify(%q) error = %v, want ErrUnknownHash", hash, err)
			}
		}
	})
}

// TestDecoyHashes: one decoy of each kind the hasher reads, in the parameters it writes,
// which common passwords do not match.
func TestDecoyHashes(t *testing.T) {
	t.Parallel()
	for _, h := range []*password.Hasher{password.NewArgon2id(password.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}), password.NewBcrypt(4)} {
		d, err := h.DecoyHashes()
		if err != nil {
			t.Fatal(err)
		}
		if len(d) != 2 || h.KindOf(d[password.KindArgon2id]) != password.KindArgon2id || h.KindOf(d[password.KindBcrypt]) != password.KindBcrypt {
			t.Fatalf("decoys %v: want one Argon2id and one bcrypt", d)
		}
		for _, pw := range []string{"", "password"} {
			if ok, _, err := h.Verify(d[password.KindBcrypt], pw); ok || err != nil {
				t.Errorf("bcrypt decoy matches %q (err %v)", pw, err)
			}
		}
	}
}
