package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// A password hash is kept as a PHC string (the format of the reference implementation):
//
//	$argon2id$v=19$m=19456,t=3,p=1$<salt>$<hash>
//
// salt and hash in base64 without padding (standard alphabet). The parameters travel with the
// hash, so raising the cost later leaves old hashes checkable (and they are redone at the next
// sign-in).

// params is an argon2id cost.
type params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
}

// Bounds on what a stored hash may ask for: a string that asks for more is refused, not run.
const (
	maxMemoryKiB = 4 << 20 // 4 GiB
	maxTime      = 64
	saltBytes    = 16
	keyBytes     = 32
	minSaltBytes = 8
	maxSaltBytes = 64
	minKeyBytes  = 16
	maxKeyBytes  = 128
)

var errBadHash = errors.New("auth: not an argon2id PHC string")

func (p params) check() error {
	switch {
	case p.Threads < 1:
		return fmt.Errorf("%w: p=%d", errBadHash, p.Threads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: t=%d (1 to %d)", errBadHash, p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("%w: m=%d KiB (8×p to %d)", errBadHash, p.Memory, maxMemoryKiB)
	}
	return nil
}

// phc is a parsed hash.
type phc struct {
	params
	salt, key []byte
}

func (h phc) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC parses an argon2id PHC string, strictly: the fields in their order, decimal numbers
// without sign or leading zeros, within the bounds above, version 19 only.
func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errBadHash
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return h, errBadHash
	}
	ver, err := number(v, 1<<20)
	if err != nil {
		return h, err
	}
	if ver != argon2.Version {
		return h, fmt.Errorf("%w: version %d", errBadHash, ver)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return h, errBadHash
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		x, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return h, errBadHash
		}
		if vals[i], err = number(x, 1<<32-1); err != nil {
			return h, err
		}
	}
	if vals[2] > 255 {
		return h, fmt.Errorf("%w: p=%d", errBadHash, vals[2])
	}
	h.params = params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := h.check(); err != nil {
		return h, err
	}
	// The decoder skips line breaks even when strict: only the alphabet is let through.
	if !b64Only(parts[4]) || !b64Only(parts[5]) {
		return h, errBadHash
	}
	b64 := base64.RawStdEncoding.Strict()
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < minSaltBytes || len(h.salt) > maxSaltBytes {
		return h, fmt.Errorf("%w: salt", errBadHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < minKeyBytes || len(h.key) > maxKeyBytes {
		return h, fmt.Errorf("%w: hash", errBadHash)
	}
	return h, nil
}

// b64Only reports whether s holds only characters of the standard base64 alphabet (no padding).
func b64Only(s string) bool {
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// number parses a decimal of at most max, as PHC writes them: digits only, no leading zero.
func number(s string, max uint64) (uint64, error) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, errBadHash
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, errBadHash
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, errBadHash
	}
	return n, nil
}

// derive computes the key of password under h's salt and cost.
func (h phc) derive(password string) []byte {
	return argon2.IDKey([]byte(password), h.salt, h.Time, h.Memory, h.Threads, uint32(len(h.key)))
}

// matches reports whether password is the one h was made from (in constant time).
func (h phc) matches(password string) bool {
	return subtle.ConstantTimeCompare(h.derive(password), h.key) == 1
}
