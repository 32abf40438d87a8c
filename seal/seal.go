// Package seal keeps secrets at rest under the server secret: AES-256-GCM with a key derived
// for one use of the secret, a version byte first so the scheme can change without guessing,
// and associated data that binds a sealed value to the row it belongs to (a ciphertext copied
// into another row does not open). Mailbox passwords and DKIM private keys are sealed with it.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Sentinel errors callers branch on.
var (
	// ErrDamaged means the value is not something Seal wrote (truncated, another version).
	ErrDamaged = errors.New("seal: damaged")
	// ErrWrongSecret means the value does not open with this key: another server secret (a
	// database restored without its settings row?), another row's associated data, or tampering.
	ErrWrongSecret = errors.New("seal: does not open with this server's secret")
)

// version prefixes every sealed value.
const version = 1

// Key seals and opens values for one use of the server secret.
type Key struct{ key []byte }

// NewKey derives the key of one use (info, e.g. "postdesk mailbox key") from the server secret:
// HMAC-SHA256(serverSecret, info), a PRF keyed by the secret, which is what HKDF-Expand does for
// a single block, without the dependency. Different infos give independent keys, so one use
// cannot open another's values.
func NewKey(serverSecret []byte, info string) Key {
	m := hmac.New(sha256.New, serverSecret)
	m.Write([]byte(info))
	return Key{key: m.Sum(nil)}
}

// Seal encrypts plaintext bound to ad: version, a random nonce, the ciphertext and its tag.
func (k Key) Seal(plaintext, ad []byte) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+gcm.NonceSize(), 1+gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return gcm.Seal(out, out[1:], plaintext, ad), nil
}

// Open decrypts what Seal wrote with the same key and ad.
func (k Key) Open(sealed, ad []byte) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+gcm.NonceSize()+gcm.Overhead() || sealed[0] != version {
		return nil, ErrDamaged
	}
	n := 1 + gcm.NonceSize()
	pt, err := gcm.Open(nil, sealed[1:n], sealed[n:], ad)
	if err != nil {
		return nil, ErrWrongSecret
	}
	return pt, nil
}

func (k Key) gcm() (cipher.AEAD, error) {
	if len(k.key) == 0 {
		return nil, errors.New("seal: no key (use NewKey)")
	}
	block, err := aes.NewCipher(k.key)
	if err != nil {
		return nil, fmt.Errorf("seal: cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: cipher: %w", err)
	}
	return gcm, nil
}
