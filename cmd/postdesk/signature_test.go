package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// An agent's reply carries one signature: the default (name, property), the agent's own once
// set, and none when the text signs itself; a reply by mail is signed the same way.
func TestAgentRepliesAreSignedOnce(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			dir := t.TempDir()
			reply := func(text string) string {
				t.Helper()
				f := filepath.Join(dir, "reply.txt")
				if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				d.cli("tickets", "reply", "--property", "acme", "--as", "alice@acme.example", "1", "--body-file", f)
				for _, m := range d.newMail(2) { // the customer, and a copy to bob, the assignee
					if len(to([]sentMail{m}, "ann@customer.example")) == 1 {
						return m.raw
					}
				}
				t.Fatal("no reply to the customer")
				return ""
			}
			count := func(raw, s string) int { return strings.Count(strings.ReplaceAll(raw, "=\r\n", ""), s) }
			if raw := reply("The technician comes at ten."); count(raw, "Alice\r\nAcme Support") != 1 {
				t.Errorf("the default signature should be there once:\n%s", raw)
			}
			if raw := reply("The technician comes at ten.\n\nBest regards,\nAlice"); count(raw, "Alice\r\nAcme Support") != 0 || count(raw, "Alice<br>") != 0 {
				t.Errorf("a reply signed by its text got a second signature:\n%s", raw)
			}
			f := filepath.Join(dir, "sig.txt")
			os.WriteFile(f, []byte("Alice Archer\nAcme customer care, +33 1 23 45 67 89\n"), 0o600)
			must(t, d.dsn, "agent", "signature", "--property", "acme", "--email", "alice@acme.example", "--file", f)
			if raw := reply("Fixed now."); count(raw, "Acme customer care, +33 1 23 45 67 89") == 0 || count(raw, "Alice\r\nAcme Support") != 0 {
				t.Errorf("the agent's own signature should replace the default:\n%s", raw)
			}
			if raw := reply("Fixed now.\n-- \nA."); count(raw, "Acme customer care") != 0 {
				t.Errorf("a '-- ' signature in the text: no second one:\n%s", raw)
			}
			must(t, d.dsn, "agent", "signature", "--property", "acme", "--email", "alice@acme.example", "--default")
			if raw := reply("Back to normal."); count(raw, "Alice\r\nAcme Support") != 1 {
				t.Errorf("--default brings the default back:\n%s", raw)
			}
			if code, _, errs := postdesk(t, d.dsn, "agent", "signature", "--property", "acme", "--email", "nobody@acme.example", "--default"); code == 0 {
				t.Errorf("a signature for an unknown agent: exit 0 (%s)", errs)
			}
		})
	}
}
