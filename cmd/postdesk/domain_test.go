package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

// The mail domain belongs to the installation: given once (postdesk init, or the first command
// or serve given one), every command after uses it, and a different one is refused.
func TestMailDomainIsTheDatabases(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			// Nothing stored yet: the built-in default, and nothing is stored for it.
			if out := must(t, dsn, "property", "add", "--slug", "early", "--name", "Early", "--from", "help@early.example"); !strings.Contains(out, "early@localhost") {
				t.Fatalf("before any domain: %q", out)
			}
			if code, _, errs := postdesk(t, dsn, "init"); code != 2 || !strings.Contains(errs, "--domain is required") {
				t.Fatalf("init without a domain: %d %q", code, errs)
			}
			if out := must(t, dsn, "init", "--domain", "Desk.Example"); !strings.Contains(out, "mail domain: desk.example") {
				t.Fatalf("init: %q", out)
			}
			// Every command now uses it without being told.
			if out := must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example"); !strings.Contains(out, "acme@desk.example") {
				t.Fatalf("property add after init: %q", out)
			}
			if out := must(t, dsn, "property", "list"); !strings.Contains(out, "early@desk.example") || strings.Contains(out, "localhost") {
				t.Fatalf("property list: %q", out)
			}
			// The same domain again is fine; another is refused, naming both.
			must(t, dsn, "property", "list", "--domain", "desk.example")
			code, _, errs := postdesk(t, dsn, "property", "list", "--domain", "other.example")
			if code != 2 || !strings.Contains(errs, "desk.example") || !strings.Contains(errs, "other.example") || !strings.Contains(errs, "init --domain") {
				t.Fatalf("another domain: %d %q", code, errs)
			}
			if code, _, errs := postdesk(t, dsn, "init", "--domain", "other.example"); code != 2 || !strings.Contains(errs, "--force") {
				t.Fatalf("init with another domain, no --force: %d %q", code, errs)
			}
			if out := must(t, dsn, "init", "--domain", "other.example", "--force"); !strings.Contains(out, "was desk.example") {
				t.Fatalf("init --force: %q", out)
			}
			if out := must(t, dsn, "property", "list"); !strings.Contains(out, "acme@other.example") {
				t.Fatalf("after the change: %q", out)
			}
		})
	}
}

// serve's first run stores its domain; a reply written with the CLI afterwards, given no
// domain, goes out with Message-IDs and a reply address under it — not @localhost.
func TestServeStoresTheDomain(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			relay := mailertest.Start(t)
			smtpAddr, _ := startServe(t, dsn, "--relay", relay.Addr, "--relay-tls", "none") // --domain desk.example
			if out := must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example"); !strings.Contains(out, "acme@desk.example") {
				t.Fatalf("property add after serve: %q", out)
			}
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			if err := sendMail(t, smtpAddr, "ann@customer.example", []string{"acme@desk.example"}, "From: ann@customer.example\nTo: acme@desk.example\nSubject: Hello\nMessage-ID: <d1@customer.example>\n\nHi.\n"); err != nil {
				t.Fatal(err)
			}
			relay.Wait(t, 2, 15e9) // the acknowledgement and Alice's notification
			body := filepath.Join(t.TempDir(), "reply.txt")
			if err := os.WriteFile(body, []byte("Hello Ann.\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			must(t, dsn, "tickets", "reply", "--property", "acme", "--as", "alice@acme.example", "--body-file", body, "1")
			ms := relay.Wait(t, 3, 15e9)
			var reply string
			for _, m := range ms {
				if strings.Contains(string(m.Data), "Hello Ann.") {
					reply = string(m.Data)
				}
			}
			if reply == "" {
				t.Fatal("the reply did not go out")
			}
			if strings.Contains(reply, "@localhost") || !strings.Contains(reply, "@desk.example>") {
				t.Fatalf("the reply names localhost or not the stored domain:\n%s", reply)
			}
		})
	}
}
