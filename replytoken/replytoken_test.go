package replytoken

import (
	"strings"
	"testing"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func TestSignedTokenVerifies(t *testing.T) {
	for _, c := range []Claims{{TicketID: 1}, {TicketID: 42, AgentID: 7}, {TicketID: 9_000_000_000, AgentID: 123456}} {
		tok := Sign(secret, 3, c)
		got, ok := Verify(secret, 3, tok)
		if !ok || got != c {
			t.Errorf("Verify(Sign(%+v)) = %+v, %v (token %q)", c, got, ok, tok)
		}
		// MTAs may change the case of a local part.
		if got, ok := Verify(secret, 3, strings.ToUpper(tok)); !ok || got != c {
			t.Errorf("upper-cased token %q no longer verifies", tok)
		}
		if !WellFormed(tok) {
			t.Errorf("WellFormed(%q) = false", tok)
		}
	}
}

func TestForgedOrForeignTokensFail(t *testing.T) {
	tok := Sign(secret, 3, Claims{TicketID: 42, AgentID: 7})
	body, sig, _ := strings.Cut(tok, "-")
	cases := map[string]struct {
		token    string
		property int64
		secret   []byte
	}{
		"other property":       {tok, 4, secret},
		"other secret":         {tok, 3, []byte("another secret, 32 bytes long!!!")},
		"ticket changed":       {strings.Replace(body, "42", "43", 1) + "-" + sig, 3, secret},
		"agent dropped":        {"t42-" + sig, 3, secret},
		"signature flipped":    {body + "-" + flip(sig), 3, secret},
		"signature truncated":  {body + "-" + sig[:10], 3, secret},
		"no signature":         {body, 3, secret},
		"leading zero ticket":  {"t042a7-" + sig, 3, secret},
		"garbage":              {"hello", 3, secret},
		"empty":                {"", 3, secret},
		"negative ticket":      {"t-1-" + sig, 3, secret},
		"non-base32 signature": {body + "-" + strings.Repeat("1", 16), 3, secret},
	}
	for name, c := range cases {
		if got, ok := Verify(c.secret, c.property, c.token); ok {
			t.Errorf("%s: Verify(%q) accepted: %+v", name, c.token, got)
		}
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'a' {
		b[0] = 'b'
	} else {
		b[0] = 'a'
	}
	return string(b)
}

func TestSplit(t *testing.T) {
	cases := []struct{ in, slug, token, domain string }{
		{"acme@desk.example", "acme", "", "desk.example"},
		{"Acme+t1-abc@Desk.Example", "acme", "t1-abc", "desk.example"},
		{" acme+x+y@d ", "acme", "x+y", "d"},
	}
	for _, c := range cases {
		slug, tok, dom, ok := Split(c.in)
		if !ok || slug != c.slug || tok != c.token || dom != c.domain {
			t.Errorf("Split(%q) = %q %q %q %v", c.in, slug, tok, dom, ok)
		}
	}
	for _, bad := range []string{"", "nobody", "@d", "a@", "+x@d", "a@b@c"} {
		if _, _, _, ok := Split(bad); ok {
			t.Errorf("Split(%q) accepted", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(Sign(secret, 1, Claims{TicketID: 5, AgentID: 2}))
	f.Add("t1-aaaaaaaaaaaaaaaa")
	f.Fuzz(func(t *testing.T, tok string) {
		c, ok := Verify(secret, 1, tok)
		if ok && Sign(secret, 1, c) != strings.ToLower(tok) {
			t.Fatalf("accepted %q, which is not what Sign makes for %+v", tok, c)
		}
	})
}
