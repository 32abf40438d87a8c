package dkimkeys_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// recordValue reads the value back from a printed zone-file line, as a resolver joins a TXT
// record's strings: what the receiver's lookup returns once the line is published.
func recordValue(t testing.TB, line string) (name, value string) {
	t.Helper()
	name, rest, ok := strings.Cut(line, ". IN TXT ")
	if !ok {
		t.Fatalf("no TXT record: %q", line)
	}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		s, _ := strconv.Unquote(q)
		if len(s) > 255 {
			t.Fatalf("a string of %d bytes in %q", len(s), line)
		}
		value += s
		rest = rest[len(q):]
	}
	return name, value
}

// verify checks raw's signatures against the published records (zone-file lines) and returns
// the domains whose signature holds.
func verify(t testing.TB, raw []byte, records ...string) ([]string, error) {
	t.Helper()
	dns := map[string]string{}
	for _, r := range records {
		n, v := recordValue(t, r)
		dns[n] = v
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		if v, ok := dns[name]; ok {
			return []string{v}, nil
		}
		return nil, fmt.Errorf("no such record %s", name)
	}})
	if err != nil {
		return nil, err
	}
	var ok []string
	for _, v := range vs {
		if v.Err != nil {
			return ok, fmt.Errorf("signature of %s: %w", v.Domain, v.Err)
		}
		ok = append(ok, v.Domain)
	}
	return ok, nil
}
