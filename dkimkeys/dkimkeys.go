// Package dkimkeys keeps the properties' DKIM keys (RFC 6376) and signs their outgoing mail with
// them, for sites whose relay does not sign: the keys are generated here, their private halves
// sealed under the server secret (package seal), their public halves printed as the DNS TXT
// record to publish. The outbox sender calls Store.Sign just before handing a mail to the relay,
// so the stored bytes stay as they were rendered.
package dkimkeys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound = errors.New("dkimkeys: not found")
	ErrExists   = errors.New("dkimkeys: already exists")
	ErrInvalid  = errors.New("dkimkeys: invalid")
)

// Algorithms.
const (
	RSA     = "rsa"     // rsa-sha256 with 2048-bit keys: what every receiver verifies
	Ed25519 = "ed25519" // ed25519-sha256 (RFC 8463): short keys, but many receivers ignore them
)

// rsaBits is the size of generated RSA keys: RFC 8301 §3.2 asks for at least 1024 and
// recommends 2048; 2048 still fits a TXT record in two strings.
const rsaBits = 2048

// Key is one of a property's keys. Its private half never leaves the package.
type Key struct {
	PropertyID int64     `db:"property_id" json:"-"`
	Selector   string    `db:"selector" json:"selector"`
	Domain     string    `db:"domain" json:"domain"`
	Algorithm  string    `db:"algorithm" json:"algorithm"`
	Sealed     []byte    `db:"private_key" json:"-"`
	Active     bool      `db:"active" json:"active"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	public     []byte    // the DNS record's p=: SubjectPublicKeyInfo (RSA) or the raw 32 bytes (Ed25519)
}

// Record is the DNS TXT record that publishes the key.
func (k Key) Record() Record {
	return Record{Name: k.Selector + "._domainkey." + k.Domain, Value: "v=DKIM1; k=" + k.Algorithm + "; p=" + base64.StdEncoding.EncodeToString(k.public)}
}

// Record is a DNS TXT record: its name and its value.
type Record struct {
	Name, Value string
}

// String is the record as a zone-file line. A TXT record's strings hold at most 255 bytes each
// (RFC 1035 §3.3.14); a longer value is split into several, which resolvers join again (RFC 6376
// §3.6.2.2). The name ends with a dot: it is absolute, not relative to the zone's origin.
func (r Record) String() string {
	var b strings.Builder
	b.WriteString(r.Name + ". IN TXT")
	for v := r.Value; v != ""; {
		n := min(len(v), 255)
		b.WriteString(" " + strconv.Quote(v[:n]))
		v = v[n:]
	}
	return b.String()
}

// ParseAlgorithm reads --algorithm: rsa (the default) or ed25519.
func ParseAlgorithm(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", RSA, "rsa-sha256":
		return RSA, nil
	case Ed25519, "ed25519-sha256":
		return Ed25519, nil
	}
	return "", fmt.Errorf("%w: algorithm %q: rsa or ed25519", ErrInvalid, s)
}

// CheckSelector returns the selector in lower case, or an error when it is no DNS name: labels
// of letters, digits and hyphens, separated by dots (RFC 6376 §3.1).
func CheckSelector(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if err := checkName(s); err != nil {
		return "", fmt.Errorf("%w: selector %q: %w", ErrInvalid, s, err)
	}
	return s, nil
}

// DomainOf is the domain of an address (support@acme.example → acme.example), the d= of the
// signatures of the mail sent from it.
func DomainOf(address string) (string, error) {
	at := strings.LastIndexByte(address, '@')
	if at < 1 {
		return "", fmt.Errorf("%w: %q is no address", ErrInvalid, address)
	}
	d := strings.ToLower(strings.TrimSuffix(address[at+1:], "."))
	if err := checkName(d); err != nil || !strings.Contains(d, ".") {
		return "", fmt.Errorf("%w: the domain of %q cannot sign mail: %v", ErrInvalid, address, err)
	}
	return d, nil
}

func checkName(s string) error {
	if s == "" || len(s) > 253 {
		return errors.New("empty or too long")
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("character %q", c)
			}
		}
	}
	return nil
}

// generate makes a key pair: the PKCS #8 private key and the record's public key.
func generate(algorithm string) (private, public []byte, err error) {
	var priv crypto.Signer
	switch algorithm {
	case RSA:
		if priv, err = rsa.GenerateKey(rand.Reader, rsaBits); err != nil {
			return nil, nil, fmt.Errorf("dkimkeys: generate: %w", err)
		}
	case Ed25519:
		if _, priv, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, nil, fmt.Errorf("dkimkeys: generate: %w", err)
		}
	default:
		return nil, nil, fmt.Errorf("%w: algorithm %q", ErrInvalid, algorithm)
	}
	if private, err = x509.MarshalPKCS8PrivateKey(priv); err != nil {
		return nil, nil, fmt.Errorf("dkimkeys: encode: %w", err)
	}
	public, err = publicOf(priv)
	return private, public, err
}

// parsePrivate reads a PKCS #8 private key of the algorithm.
func parsePrivate(algorithm string, der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("dkimkeys: the stored key is damaged: %w", err)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if algorithm == RSA {
			return k, nil
		}
	case ed25519.PrivateKey:
		if algorithm == Ed25519 {
			return k, nil
		}
	}
	return nil, fmt.Errorf("dkimkeys: the stored key is no %s key", algorithm)
}

// publicOf is what the DNS record's p= holds: the SubjectPublicKeyInfo of an RSA key (RFC 6376
// §3.6.1), the raw public key of an Ed25519 one (RFC 8463 §4.2).
func publicOf(priv crypto.Signer) ([]byte, error) {
	switch pub := priv.Public().(type) {
	case ed25519.PublicKey:
		return pub, nil
	case *rsa.PublicKey:
		b, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("dkimkeys: encode: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("dkimkeys: unsupported key %T", priv.Public())
}
