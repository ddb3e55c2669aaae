package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// HashKinds is implemented by hashers that verify more than one kind of hash (Argon2id
// and an Express database's bcrypt): KindOf names a stored hash's kind, DecoyHashes
// gives one hash of each kind.
type HashKinds interface {
	KindOf(hash string) string
	DecoyHashes() (map[string]string, error)
}

type decoy struct{ kind, hash string }

// makeDecoys prepares the hashes failed log-ins verify against.
func (s *Service) makeDecoys() error {
	hk, ok := s.hasher.(HashKinds)
	if !ok {
		h, err := s.hasher.Hash("authme decoy password for failed log-ins")
		if err != nil {
			return fmt.Errorf("make decoy hash: %w", err)
		}
		// One kind only: the decoy stands in for the account's own hash.
		s.decoys, s.kindOf = []decoy{{kind: "hash", hash: h}}, func(string) string { return "hash" }
		return nil
	}
	m, err := hk.DecoyHashes()
	if err != nil {
		return fmt.Errorf("make decoy hashes: %w", err)
	}
	for k, h := range m {
		s.decoys = append(s.decoys, decoy{kind: k, hash: h})
	}
	sort.Slice(s.decoys, func(i, j int) bool { return s.decoys[i].kind < s.decoys[j].kind })
	s.kindOf = hk.KindOf
	return nil
}

// VerifyPassword returns the user whose username or email is in.Credential (any case)
// when the password matches, else ErrInvalidCredentials, with the same work, time and answer
// whether or not the account exists and whatever kind of hash it has.
//
// The attempt is reserved on the throttle before any hashing: while the key is blocked
// the answer is ETooMany, even for the right password, and attempts beyond the ones the
// key may still fail wait for those in flight rather than all being checked at once.
// The key is the account's (whichever of its names is typed), or, for a browser the
// account has logged in from before (in.Device), that device's own. A hash in an older
// algorithm is replaced after a success.
func (s *Service) VerifyPassword(ctx context.Context, in LoginInput) (User, error) {
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	c, err := s.users.UserCredentials(ctx, in.Credential)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("login: %w", err)
	}
	key := throttleKey(c.ID, found, in.Credential)
	if found && in.Device.ID != "" && in.Device.UserID == c.ID {
		key = deviceKey(in.Device)
	}
	finish, err := s.reserve(ctx, key)
	if err != nil {
		if ErrorCode(err) == ETooMany {
			s.observeFailure(found, c.ID, true, in)
		}
		return User{}, err
	}
	ok, rehash, counted, err := s.checkPassword(ctx, c, found, in.Password)
	if err != nil && !counted {
		finish(AttemptAbandoned)
		return User{}, fmt.Errorf("login: %w", err)
	}
	if !ok {
		// The failure is recorded after every hash has run, so that a wait it starts
		// runs from the answer, as the client sees it; and it is recorded even when a
		// decoy could not run, since the guess was checked.
		if err := finish(AttemptFailed); err != nil {
			return User{}, err
		}
		if err != nil {
			return User{}, fmt.Errorf("login: %w", err)
		}
		s.observeFailure(found, c.ID, false, in)
		return User{}, ErrInvalidCredentials
	}
	if err := finish(AttemptSucceeded); err != nil {
		s.log.WarnContext(ctx, "clearing login failures failed", "user_id", c.ID, "err", err)
	}
	if rehash {
		s.upgradeHash(ctx, c.ID, in.Password)
	}
	return c.User, nil
}

// checkPassword verifies pw once against each kind of hash, in a fixed order of kinds:
// against the account's own hash for its kind, and a decoy for every other kind (all
// decoys when no account was found). So every failure runs the same hashes in the same
// order, whatever made it fail. A success stops at the account's own hash: Argon2id, the
// kind authme writes, comes first, so a successful log-in hashes once (an adopted bcrypt
// account pays one decoy until its hash is upgraded).
//
// When a hash cannot run (the gate sheds it), counted says whether the attempt is a
// guess all the same: the account's own hash was checked, or there is no account.
func (s *Service) checkPassword(ctx context.Context, c Credentials, found bool, pw string) (ok, rehash, counted bool, err error) {
	kind, own := "", false
	if found {
		kind = s.kindOf(c.PasswordHash)
	}
	for _, d := range s.decoys {
		h := d.hash
		if found && d.kind == kind {
			h = c.PasswordHash
		}
		good, re, err := s.verify(ctx, h, pw)
		if err != nil {
			return false, false, own || !found, err
		}
		if h == c.PasswordHash && found {
			own = true
			if good {
				return true, re, true, nil
			}
		}
	}
	if found && !own {
		// A kind the hasher does not list: the hasher says what it is (an error).
		ok, rehash, err = s.verify(ctx, c.PasswordHash, pw)
		return ok, rehash, err == nil, err
	}
	return false, false, true, nil
}
