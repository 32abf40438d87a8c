package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParsePHC: a stored hash string never panics the parser, never asks for more than the
// bounds, and what parses is canonical (it prints back as it was).
func FuzzParsePHC(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
		"$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA",
		"", "$", "$$$$$", "$argon2id$v=19$m=,t=,p=$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		if h.Memory > maxMemoryKiB || h.Time > maxTime || h.Time < 1 || h.Threads < 1 ||
			len(h.salt) < minSaltBytes || len(h.salt) > maxSaltBytes || len(h.key) < minKeyBytes || len(h.key) > maxKeyBytes {
			t.Fatalf("%q parsed out of bounds: %+v", s, h)
		}
		if h.String() != s {
			t.Fatalf("%q parsed, prints back as %q", s, h.String())
		}
	})
}

// FuzzClientKey: whatever a client address looks like, its key is short text both engines store.
func FuzzClientKey(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[2001:db8::1]:443", "2001:db8::1%eth0", "::ffff:10.0.0.1", "", "@", "unix:\x00\xff", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := clientKey(s)
		if k == "" || len(k) > maxClientKey+1 || !utf8.ValidString(k) || strings.ContainsFunc(k, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("clientKey(%q) = %q", s, k)
		}
		a := addressKey(s)
		if len(a) > maxAddressKey || !utf8.ValidString(a) || strings.ContainsFunc(a, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("addressKey(%q) = %q", s, a)
		}
	})
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                        "192.0.2.1",
		" 192.0.2.1 ":                      "192.0.2.1",
		"192.0.2.1:8080":                   "192.0.2.1",
		"::ffff:192.0.2.1":                 "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":             "2001:db8:1:2::/64",
		"[2001:db8:1:2::9]:443":            "2001:db8:1:2::/64",
		"[2001:db8:1:2::9]":                "2001:db8:1:2::/64",
		"fe80::1%eth0":                     "fe80::/64",
		"2001:DB8:1:2:ffff:ffff:ffff:ffff": "2001:db8:1:2::/64",
		"":                                 "?",
		"@":                                "?@",
		"bad\x00\xffhost":                  "?bad\uFFFD\uFFFDhost",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePHC(t *testing.T) {
	good := phc{params: params{Memory: 19456, Time: 3, Threads: 1}, salt: []byte("0123456789abcdef"), key: make([]byte, 32)}
	good.key = good.derive("a password")
	s := good.String()
	h, err := parsePHC(s)
	if err != nil || h.params != good.params || !h.matches("a password") || h.matches("a password ") {
		t.Fatalf("parsePHC(%q) = %+v, %v", s, h, err)
	}
	for _, bad := range []string{
		"",
		strings.Replace(s, "argon2id", "argon2i", 1),
		strings.Replace(s, "v=19", "v=16", 1),
		strings.Replace(s, "v=19", "v=019", 1),
		strings.Replace(s, "m=19456", "m=+19456", 1),
		strings.Replace(s, "m=19456", "m=4194305", 1), // above 4 GiB
		strings.Replace(s, "t=3", "t=0", 1),
		strings.Replace(s, "t=3", "t=65", 1),
		strings.Replace(s, "p=1", "p=0", 1),
		strings.Replace(s, "p=1", "p=256", 1),
		strings.Replace(s, "m=19456,t=3", "t=3,m=19456", 1),
		strings.Replace(s, "$argon2id$", "$argon2id$$", 1),
		s + "=",
		s + "$",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", // a 4-byte salt
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",            // a 4-byte hash
	} {
		if _, err := parsePHC(bad); err == nil {
			t.Errorf("parsePHC(%q) accepted", bad)
		}
	}
}
