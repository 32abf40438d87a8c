package dkimkeys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// FuzzSign feeds hostile mail to what Sign does after reading the key: reading the From domain
// never panics, and whatever it signs verifies with the key's record.
func FuzzSign(f *testing.F) {
	f.Add([]byte("From: a@acme.example\r\nTo: b@c.example\r\nSubject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("From: =?utf-8?q?Acme_=C3=A9?= <a@ACME.example>\r\n\r\n"))
	f.Add([]byte("From: a@acme.example\n\nno CR\n"))
	f.Add([]byte("From: \"a@acme.example\" <b@other.example>\r\n\r\n"))
	f.Add([]byte("from:a@acme.example\r\n folded: x\r\n\r\n"))
	f.Add([]byte(""))
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	pub, _ := publicOf(priv)
	k := Key{Selector: "s", Domain: "acme.example", Algorithm: Ed25519, public: pub}
	rec := k.Record()
	lookup := &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		if name != rec.Name {
			return nil, errors.New("no record")
		}
		return []string{rec.Value}, nil
	}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, ok := fromDomain(raw)
		if !ok || d != k.Domain {
			return
		}
		signed, err := sign(raw, k, priv)
		if err != nil {
			return
		}
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(signed), lookup)
		if err != nil || len(vs) == 0 || vs[0].Err != nil {
			t.Fatalf("signed mail does not verify: %v %+v\n%q", err, vs, signed)
		}
	})
}

func FuzzCheckSelector(f *testing.F) {
	for _, s := range []string{"postdesk202612", "a.b", "-", "ü", "a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckSelector(s)
		if err != nil {
			return
		}
		if again, err := CheckSelector(got); err != nil || again != got {
			t.Fatalf("%q → %q → %q, %v", s, got, again, err)
		}
		if _, err := DomainOf("x@" + got); err != nil && bytes.ContainsRune([]byte(got), '.') {
			t.Fatalf("a dotted selector %q is no domain: %v", got, err)
		}
	})
}
