package main

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// A customer's mail through a group that rewrote its From (strict DMARC at the sender's domain):
// the ticket is the real sender's, and the agent's answer goes to them, never to the group.
func TestListRewrittenFromAnswerGoesToTheSender(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := &agentDesk{desk: newDesk(t, e.DSN(t)), copies: map[string]sentMail{}}
			d.customerMail("From: 'Zoe' via Team <team@groups.example>\nTo: team@groups.example\nReply-To: Zoe <zoe@z.example>\n" +
				"Subject: Printer on fire\nMessage-ID: <z1@z.example>\nList-Id: <team.groups.example>\nList-Post: <mailto:team@groups.example>\nPrecedence: list\n\nIt burns.\n")
			ms := d.sent(3) // the agents are told; nothing automatic goes back to list mail
			for _, a := range []string{"alice", "bob", "carol"} {
				n := to(ms, a+"@acme.example")
				if len(n) != 1 {
					t.Fatalf("%s got %d notifications", a, len(n))
				}
				d.copies[a] = n[0]
			}
			d.seen = 3
			if tk := d.ticket(1); tk.Customer != "zoe@z.example" || tk.CustomerName != "Zoe" {
				t.Fatalf("customer %q %q, want zoe@z.example Zoe", tk.Customer, tk.CustomerName)
			}
			d.replyAs("alice", "Unplug it, please.\n")
			// The answer goes to the sender; the ticket went to every agent, so bob and carol
			// get copies (every party but alice, who wrote it).
			ms = d.newMail(3)
			if cust := to(ms, "zoe@z.example"); len(cust) != 1 {
				t.Fatal("the agent's answer did not go to the sender")
			}
			if len(to(ms, "bob@acme.example")) != 1 || len(to(ms, "carol@acme.example")) != 1 || len(to(ms, "alice@acme.example")) != 0 {
				t.Fatalf("the copies of alice's answer: %v", ms)
			}
			d.quiet()
			for _, m := range d.drained() {
				if strings.Contains(strings.ToLower(strings.Join(m.Rcpts, ",")), "team@groups.example") {
					t.Fatalf("mail to the group: %v", m.Rcpts)
				}
			}
		})
	}
}
