package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestSealOpens(t *testing.T) {
	k := NewKey([]byte("a server secret of enough length"), "postdesk test key")
	ad := []byte("row 1")
	s, err := k.Seal([]byte("hunter2"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s, []byte("hunter2")) {
		t.Fatal("the plaintext is in the sealed value")
	}
	pt, err := k.Open(s, ad)
	if err != nil || string(pt) != "hunter2" {
		t.Fatalf("open: %q, %v", pt, err)
	}
	s2, _ := k.Seal([]byte("hunter2"), ad)
	if bytes.Equal(s, s2) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
}

func TestSealRefuses(t *testing.T) {
	secret := []byte("a server secret of enough length")
	k := NewKey(secret, "postdesk test key")
	s, _ := k.Seal([]byte("hunter2"), []byte("row 1"))
	flipped := bytes.Clone(s)
	flipped[len(flipped)-1] ^= 1
	for name, c := range map[string]struct {
		k      Key
		sealed []byte
		ad     string
		want   error
	}{
		"another row":    {k, s, "row 2", ErrWrongSecret},
		"another secret": {NewKey([]byte("another secret"), "postdesk test key"), s, "row 1", ErrWrongSecret},
		"another use":    {NewKey(secret, "postdesk other key"), s, "row 1", ErrWrongSecret},
		"tampered":       {k, flipped, "row 1", ErrWrongSecret},
		"truncated":      {k, s[:10], "row 1", ErrDamaged},
		"empty":          {k, nil, "row 1", ErrDamaged},
		"other version":  {k, append([]byte{2}, s[1:]...), "row 1", ErrDamaged},
	} {
		if _, err := c.k.Open(c.sealed, []byte(c.ad)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := (Key{}).Seal([]byte("x"), nil); err == nil {
		t.Error("the zero Key sealed")
	}
}

// The format is what mailbox wrote before this package existed: passwords sealed then still open.
func TestSealFormatIsStable(t *testing.T) {
	secret := []byte("a server secret of enough length")
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("postdesk mailbox key"))
	block, _ := aes.NewCipher(m.Sum(nil))
	gcm, _ := cipher.NewGCM(block)
	nonce := bytes.Repeat([]byte{7}, gcm.NonceSize())
	old := append([]byte{1}, nonce...)
	old = gcm.Seal(old, nonce, []byte("hunter2"), []byte("ad"))
	pt, err := NewKey(secret, "postdesk mailbox key").Open(old, []byte("ad"))
	if err != nil || string(pt) != "hunter2" {
		t.Fatalf("a value in the old format: %q, %v", pt, err)
	}
}
