package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/postdesk/postdesk/dbtest"
)

// dkimRecords reads the DNS records a 'postdesk property dkim' printed (zone-file lines, ';'
// comments), their strings joined as a resolver joins them.
func dkimRecords(t *testing.T, out string) map[string]string {
	t.Helper()
	recs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ";") {
			continue
		}
		name, rest, ok := strings.Cut(line, ". IN TXT ")
		if !ok {
			t.Fatalf("not a TXT record: %q", line)
		}
		value := ""
		for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("record %q: %v", line, err)
			}
			s, _ := strconv.Unquote(q)
			if len(s) > 255 {
				t.Fatalf("a string of %d bytes: %q", len(s), line)
			}
			value += s
			rest = rest[len(q):]
		}
		recs[name] = value
	}
	return recs
}

// signedBy verifies m against the published records and returns the selector whose signature
// holds ("" when the mail is unsigned); a signature that does not verify fails the test.
func signedBy(t *testing.T, m sentMail, dns map[string]string) string {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader([]byte(m.raw)), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		if v, ok := dns[name]; ok {
			return []string{v}, nil
		}
		return nil, fmt.Errorf("no record %s", name)
	}})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(vs) == 0 {
		return ""
	}
	if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "acme.example" {
		t.Fatalf("signatures %+v (%v):\n%s", vs, vs[0].Err, m.raw)
	}
	h := m.raw[:strings.Index(m.raw, "\r\nFrom:")]
	for sel := range dns {
		if s, _, _ := strings.Cut(sel, "._domainkey."); strings.Contains(strings.ReplaceAll(h, "\r\n", ""), "s="+s+";") {
			return s
		}
	}
	t.Fatalf("signed by no published selector:\n%s", h)
	return ""
}

// A property with a DKIM key has its mail signed as it is relayed: the acknowledgement and the
// agents' notifications verify with the record 'postdesk property dkim --generate' printed; a
// key made while another signs waits until it is activated; a property without a key, or with
// its keys disabled, sends unsigned mail.
func TestOutgoingMailIsSignedWithThePropertysKey(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := &agentDesk{desk: newDesk(t, e.DSN(t))}
			first := d.cli("property", "dkim", "--property", "acme", "--generate")
			dns := dkimRecords(t, first)
			if len(dns) != 1 || !strings.Contains(first, "signs the mail of acme from now on") {
				t.Fatalf("generate printed:\n%s", first)
			}
			var sel string
			for name := range dns {
				sel, _, _ = strings.Cut(name, "._domainkey.acme.example")
			}
			if !strings.HasPrefix(sel, "postdesk20") || !strings.Contains(first, "k=rsa;") {
				t.Fatalf("the default key: %s", first)
			}
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Printer on fire\nMessage-ID: <k1@customer.example>\n\nIt burns.\n")
			ms := d.newMail(4) // the acknowledgement, and alice's, bob's and carol's notifications
			if ack := to(ms, "ann@customer.example"); len(ack) != 1 || signedBy(t, ack[0], dns) != sel {
				t.Fatalf("the acknowledgement is not signed by %s", sel)
			}
			for _, m := range ms {
				if got := signedBy(t, m, dns); got != sel {
					t.Errorf("mail to %v signed by %q", m.rcpts, got)
				}
			}
			if show := d.cli("property", "dkim", "--property", "acme", "--show"); !strings.Contains(show, first[strings.LastIndex(strings.TrimSpace(first), "\n")+1:]) {
				t.Errorf("--show does not print the record again:\n%s\n%s", show, first)
			}

			// Rotation: the new key waits until its record is published and it is activated.
			next := d.cli("property", "dkim", "--property", "acme", "--generate", "--selector", "next", "--algorithm", "ed25519")
			if !strings.Contains(next, "--activate --selector next") || !strings.Contains(next, "k=ed25519;") {
				t.Fatalf("a second key should wait:\n%s", next)
			}
			for n, v := range dkimRecords(t, next) {
				dns[n] = v
			}
			answer := func(n int) string {
				t.Helper()
				d.customerMail(fmt.Sprintf("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Again %d\nMessage-ID: <k%d@customer.example>\n\nStill burning.\n", n, n))
				return signedBy(t, to(d.newMail(4), "ann@customer.example")[0], dns)
			}
			if got := answer(2); got != sel {
				t.Fatalf("before the switch signed by %q", got)
			}
			d.cli("property", "dkim", "--property", "acme", "--activate", "--selector", "next")
			if got := answer(3); got != "next" {
				t.Fatalf("after the switch signed by %q", got)
			}
			if show := d.cli("property", "dkim", "--property", "acme", "--show"); strings.Contains(show, sel) || !strings.Contains(show, "next, ed25519-sha256") {
				t.Errorf("after the switch --show says:\n%s", show)
			}

			// A property without a key sends its mail unsigned.
			d.cli("property", "add", "--slug", "beta", "--name", "Beta", "--from", "help@beta.example")
			if err := sendMail(t, d.smtp, "ann@customer.example", []string{"beta@desk.example"}, "From: Ann <ann@customer.example>\nTo: help@beta.example\nSubject: Hello Beta\nMessage-ID: <b1@customer.example>\n\nHi.\n"); err != nil {
				t.Fatal(err)
			}
			ms = d.sent(len(d.drained()))[d.seen:]
			d.seen += len(ms)
			if ack := to(ms, "ann@customer.example"); len(ack) != 1 || strings.Contains(ack[0].raw, "DKIM-Signature") {
				t.Fatalf("beta's acknowledgement: %+v", ack)
			}

			// Disabled: acme's mail goes out unsigned too.
			if out := d.cli("property", "dkim", "--property", "acme", "--disable"); !strings.Contains(out, "unsigned") {
				t.Errorf("--disable said %q", out)
			}
			if got := answer(4); got != "" {
				t.Fatalf("after --disable signed by %q", got)
			}
			if code, _, errs := postdesk(t, d.dsn, "property", "dkim", "--property", "acme", "--activate"); code != 2 || !strings.Contains(errs, "--selector") {
				t.Errorf("--activate without --selector: exit %d, %s", code, errs)
			}
			if code, _, errs := postdesk(t, d.dsn, "property", "dkim", "--property", "acme", "--generate", "--selector", "bad_one"); code != 1 || !strings.Contains(errs, "selector") {
				t.Errorf("a bad selector: exit %d, %s", code, errs)
			}
		})
	}
}

// A property without a From address signs as its forwarding domain; once it sends from another
// domain, --show says its key signs nothing.
func TestDKIMKeyOfAnotherDomainIsFlagged(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Engines()[0].DSN(t)
	must(t, dsn, "property", "add", "--slug", "gamma", "--name", "Gamma", "--domain", "desk.example")
	out := must(t, dsn, "property", "dkim", "--property", "gamma", "--generate", "--algorithm", "ed25519", "--domain", "desk.example")
	if _, ok := dkimRecords(t, out)["postdesk"+time.Now().UTC().Format("200601")+"._domainkey.desk.example"]; !ok {
		t.Fatalf("the key of gamma@desk.example:\n%s", out)
	}
	if show := must(t, dsn, "property", "dkim", "--property", "gamma", "--show", "--domain", "desk.example"); strings.Contains(show, "warning") {
		t.Errorf("a warning for the right domain:\n%s", show)
	}
	must(t, dsn, "init", "--domain", "other.example", "--force") // the installation's domain changes
	if show := must(t, dsn, "property", "dkim", "--property", "gamma", "--show"); !strings.Contains(show, "warning: gamma sends from gamma@other.example now") {
		t.Errorf("no warning once the mail is from another domain:\n%s", show)
	}
}
