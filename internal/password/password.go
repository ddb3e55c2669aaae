// Package password hashes passwords with Argon2id (OWASP's parameters) or bcrypt, and
// verifies hashes of either kind, so databases made by the bcryptjs-based Express app keep
// working and move to Argon2id one log-in at a time.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Params are Argon2id's cost settings.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// OWASP is one of the OWASP Password Storage Cheat Sheet's Argon2id configurations, which
// it rates as equally strong: 7 MiB of memory, 5 iterations, 1 degree of parallelism.
// Of the five, this one asks least of memory bandwidth: measured on a 2-core machine, two
// hashes at once run at 96% of twice the speed of one (the 19 MiB, t=2 option: 80%), so
// log-ins scale with cores, and a hash holds 7 MiB instead of 19 MiB.
var OWASP = Argon2Params{Memory: 7 * 1024, Time: 5, Threads: 1, SaltLen: 16, KeyLen: 32}

// bcryptMaxBytes is where bcrypt stops reading its input.
const bcryptMaxBytes = 72

// ErrUnknownHash means a stored hash is in no format this package reads.
var ErrUnknownHash = errors.New("unknown password hash format")

// Hasher writes new hashes with one algorithm and verifies both.
type Hasher struct {
	bcrypt     bool
	bcryptCost int
	argon      Argon2Params
}

// NewArgon2id returns a Hasher writing Argon2id hashes with p.
func NewArgon2id(p Argon2Params) *Hasher { return &Hasher{argon: p, bcryptCost: bcrypt.DefaultCost} }

// NewBcrypt returns a Hasher writing bcrypt hashes at cost, for databases still shared
// with the Express app.
func NewBcrypt(cost int) *Hasher { return &Hasher{bcrypt: true, bcryptCost: cost, argon: OWASP} }

// MaxPasswordBytes is 72 when writing bcrypt (longer passwords must be refused, not cut),
// else effectively unlimited.
func (h *Hasher) MaxPasswordBytes() int {
	if h.bcrypt {
		return bcryptMaxBytes
	}
	return 1 << 30
}

// Hash returns a self-describing hash of pw: PHC-format Argon2id or modular-crypt bcrypt.
func (h *Hasher) Hash(pw string) (string, error) {
	if h.bcrypt {
		if len(pw) > bcryptMaxBytes {
			return "", bcrypt.ErrPasswordTooLong
		}
		b, err := bcrypt.GenerateFromPassword([]byte(pw), h.bcryptCost)
		if err != nil {
			return "", fmt.Errorf("bcrypt: %w", err)
		}
		return string(b), nil
	}
	salt := make([]byte, h.argon.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2id salt: %w", err)
	}
	p := h.argon
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches hash, and whether hash should be rewritten because it
// is not in the algorithm and cost this Hasher writes. A password longer than bcrypt reads
// never matches a bcrypt hash: it is refused, not truncated.
func (h *Hasher) Verify(hash, pw string) (ok, rehash bool, err error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		p, salt, key, err := parseArgon2id(hash)
		if err != nil {
			return false, false, err
		}
		got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		ok = subtle.ConstantTimeCompare(got, key) == 1
		return ok, ok && (h.bcrypt || p != h.argon), nil
	case strings.HasPrefix(hash, "$2"):
		if len(pw) > bcryptMaxBytes {
			// Refused, but only after the same work as any wrong password: refusing at
			// once would tell by its speed that this account still has a bcrypt hash.
			bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) //nolint:errcheck // the answer is no either way
			return false, false, nil
		}
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, false, nil
		}
		if err != nil {
			return false, false, fmt.Errorf("bcrypt hash: %w", err)
		}
		cost, _ := bcrypt.Cost([]byte(hash))
		return true, !h.bcrypt || cost != h.bcryptCost, nil
	}
	return false, false, ErrUnknownHash
}

// Kinds of stored hash.
const (
	KindArgon2id = "argon2id"
	KindBcrypt   = "bcrypt"
)

// KindOf names the algorithm of a stored hash, or "" for a format this package does not
// read.
func (h *Hasher) KindOf(hash string) string {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		return KindArgon2id
	case strings.HasPrefix(hash, "$2"):
		return KindBcrypt
	}
	return ""
}

// DecoyHashes returns one hash of each kind this Hasher verifies, made with the
// parameters it writes (bcrypt at the cost bcryptjs uses by default, as an adopted
// Express database has). A failed log-in verifies against the decoys of the kinds it did
// not check, so it costs the same whichever kind the account has, or whether it exists.
func (h *Hasher) DecoyHashes() (map[string]string, error) {
	const pw = "authme decoy password for failed log-ins"
	argon, err := (&Hasher{argon: h.argon}).Hash(pw)
	if err != nil {
		return nil, err
	}
	b := bcryptDecoy
	if h.bcryptCost != bcrypt.DefaultCost {
		d, err := bcrypt.GenerateFromPassword([]byte(pw), h.bcryptCost)
		if err != nil {
			return nil, fmt.Errorf("bcrypt decoy: %w", err)
		}
		b = string(d)
	}
	return map[string]string{KindArgon2id: argon, KindBcrypt: b}, nil
}

// bcryptDecoy is a bcrypt hash at the default cost (10, bcryptjs's) of 32 random bytes
// that were thrown away: no password matches it. It is a constant because making one
// costs about 70 ms, which every start-up would otherwise pay; a decoy needs no secret.
const bcryptDecoy = "$2a$10$Jci/clM0sMN9UFWXirajfe84gLpBeW377Jr46RTqYuquVoiew9OKW"

func parseArgon2id(hash string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 {
		return p, nil, nil, ErrUnknownHash
	}
	var v int
	// Sscanf ignores what follows the last verb, so each field must also print back as read.
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version || parts[2] != fmt.Sprintf("v=%d", v) {
		return p, nil, nil, fmt.Errorf("argon2id version %q: %w", parts[2], ErrUnknownHash)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4*1024*1024 || p.Time > 64 {
		return p, nil, nil, fmt.Errorf("argon2id parameters %q: %w", parts[3], ErrUnknownHash)
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("argon2id salt or key: %w", ErrUnknownHash)
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}
