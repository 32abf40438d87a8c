package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// An agent's reply goes to every party concerned except its sender: the agents involved and the
// ticket's audience — here the members of the department it is assigned to.
func TestReplyCopiesReachTheDepartment(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := &agentDesk{desk: newDesk(t, e.DSN(t)), copies: map[string]sentMail{}}
			must(t, d.dsn, "department", "add", "--property", "acme", "--name", "Billing", "--member", "bob@acme.example", "--member", "carol@acme.example")
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Double charge\nMessage-ID: <dc1@customer.example>\n\nI paid twice.\n")
			ms := d.newMail(4)
			for _, a := range []string{"alice", "bob", "carol"} {
				n := to(ms, a+"@acme.example")
				if len(n) != 1 {
					t.Fatalf("%s got %d notifications", a, len(n))
				}
				d.copies[a] = n[0]
			}
			d.cli("tickets", "assign", "--property", "acme", "--as", "alice@acme.example", "1", "Billing")
			if ms := d.newMail(2); len(to(ms, "bob@acme.example")) != 1 || len(to(ms, "carol@acme.example")) != 1 {
				t.Fatalf("assignment to Billing: %+v", ms)
			}
			d.quiet()

			// Bob answers by mail: Ann gets it; Carol, a member of Billing who took no part, a copy;
			// Bob never; Alice, neither involved nor in the audience, nothing.
			d.replyAs("bob", "Refunded, sorry about that."+quoted)
			ms = d.newMail(2)
			if len(to(ms, "ann@customer.example")) != 1 {
				t.Fatalf("the customer should get Bob's reply: %+v", ms)
			}
			carol := to(ms, "carol@acme.example")
			if len(carol) != 1 || !strings.Contains(carol[0].raw, "Refunded, sorry about that.") {
				t.Fatalf("Carol (Billing) should get a copy of Bob's reply: %+v", ms)
			}
			if len(to(ms, "bob@acme.example"))+len(to(ms, "alice@acme.example")) != 0 {
				t.Fatalf("the sender or an outsider got a copy: %+v", ms)
			}
			d.quiet()

			// Carol answers from the CLI (the path of the API and the web inbox too): Bob gets a copy.
			body := filepath.Join(t.TempDir(), "reply.txt")
			if err := os.WriteFile(body, []byte("The refund shows in 3 days.\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			d.cli("tickets", "reply", "--property", "acme", "--as", "carol@acme.example", "1", "--body-file", body)
			ms = d.newMail(2)
			if len(to(ms, "ann@customer.example")) != 1 || len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("Carol's reply: %+v", ms)
			}
			if len(to(ms, "carol@acme.example"))+len(to(ms, "alice@acme.example")) != 0 {
				t.Fatalf("the sender or an outsider got a copy: %+v", ms)
			}
			d.quiet()
		})
	}
}

// With no assignee and no department, the audience is every agent of the property: they all get
// the copy of a colleague's reply, the sender never.
func TestReplyCopiesReachAllAgents(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := &agentDesk{desk: newDesk(t, e.DSN(t)), copies: map[string]sentMail{}}
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Lost parcel\nMessage-ID: <lp1@customer.example>\n\nWhere is it?\n")
			for _, m := range d.newMail(4) {
				for _, a := range []string{"alice", "bob", "carol"} {
					if slices_contains(m.rcpts, a+"@acme.example") {
						d.copies[a] = m
					}
				}
			}
			d.replyAs("alice", "It left the warehouse today."+quoted)
			ms := d.newMail(3)
			if len(to(ms, "ann@customer.example")) != 1 {
				t.Fatalf("the customer should get Alice's reply: %+v", ms)
			}
			for _, a := range []string{"bob", "carol"} {
				if c := to(ms, a+"@acme.example"); len(c) != 1 || !strings.Contains(c[0].raw, "It left the warehouse today.") {
					t.Fatalf("%s should get a copy: %+v", a, ms)
				}
			}
			if len(to(ms, "alice@acme.example")) != 0 {
				t.Fatalf("Alice got her own reply: %+v", ms)
			}
			d.quiet()
		})
	}
}

// A reply of commands only, above the quoted notification, is stored as what the agent wrote —
// the commands — not as the whole quoted mail; and the commands run.
func TestCommandsOnlyReplyIsStoredTrimmed(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			d.replyAs("bob", "#close"+quoted)
			d.quiet()
			tk := d.ticket(1)
			if tk.Status != tickets.StatusClosed {
				t.Fatalf("#close did not close the ticket: %+v", tk.Ticket)
			}
			last := tk.Messages[len(tk.Messages)-1]
			if last.From != "bob@acme.example" || last.Direction != tickets.DirectionNote {
				t.Fatalf("commands-only reply stored as %+v", last)
			}
			if last.Trimmed != "#close" || strings.Contains(last.Trimmed, "It burns.") || strings.Contains(last.Trimmed, "wrote:") {
				t.Fatalf("commands-only reply stored as %q, want %q", last.Trimmed, "#close")
			}
			// What the ticket shows is the same.
			if out := must(t, d.dsn, "tickets", "show", "--property", "acme", "1"); strings.Contains(out, "Please answer above this line.") {
				t.Fatalf("the ticket shows the quoted notification:\n%s", out)
			}
		})
	}
}
