package main

import (
	"fmt"
	"net/mail"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// sync takes every mail sent so far: the outbox drained, what the relay holds is seen.
func (d *agentDesk) sync() []sentMail {
	d.t.Helper()
	n := len(d.drained())
	ms := d.sent(n)[d.seen:]
	d.seen = n
	return ms
}

// Ann wrote twice, from work (#1) and from home (#2); an agent merges #2 into #1. Everything she
// sends later on #2's thread — a reply to her own mail, to #2's acknowledgement (its reply token),
// with [#2] in the subject — joins #1. An agent merges by mail too.
func TestMergedTicketsLaterRepliesJoinTheTicketItWasMergedInto(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			d.mailFrom("ann@home.example", "acme@desk.example", "From: Ann <ann@home.example>\nTo: support@acme.example\nSubject: Printer still on fire\nMessage-ID: <h1@home.example>\n\nStill burning, from home.\n")
			ack := to(d.sync(), "ann@home.example")
			if len(ack) != 1 || !strings.Contains(ack[0].h.Get("Subject"), "[#2]") {
				t.Fatalf("the second ticket's acknowledgement: %+v", ack)
			}
			if got := d.ticket(2); got.Number != 2 || got.Customer != "ann@home.example" {
				t.Fatalf("the second mail should have opened #2: %+v", got.Ticket)
			}

			if out := must(t, d.dsn, "tickets", "merge", "--property", "acme", "--into", "1", "2"); !strings.Contains(out, "#2 was merged into #1") {
				t.Fatalf("merge: %q", out)
			}
			d.quiet() // nobody is mailed of a merge
			if out := must(t, d.dsn, "tickets", "show", "--property", "acme", "2"); !strings.HasPrefix(out, "#2 was merged into #1\n#1 Printer on fire") {
				t.Fatalf("show #2 after the merge:\n%s", out)
			}
			if out := must(t, d.dsn, "tickets", "list", "--property", "acme", "--status", "all"); strings.Contains(out, "Printer still on fire") {
				t.Fatalf("the list shows the merged ticket:\n%s", out)
			}

			// A reply to her own mail of #2.
			d.mailFrom("ann@home.example", "acme@desk.example", "From: ann@home.example\nTo: support@acme.example\nSubject: Re: Printer still on fire\nMessage-ID: <h2@home.example>\nIn-Reply-To: <h1@home.example>\n\nby header\n")
			// A reply to #2's acknowledgement, headers stripped: only its Reply-To token is left.
			rt, err := mail.ParseAddress(ack[0].h.Get("Reply-To"))
			if err != nil {
				t.Fatal(err)
			}
			d.mailFrom("ann@home.example", rt.Address, fmt.Sprintf("From: ann@home.example\nTo: %s\nSubject: nothing to thread on\nMessage-ID: <h3@home.example>\n\nby token\n", rt.Address))
			// A new mail whose subject names #2.
			d.mailFrom("ann@home.example", "acme@desk.example", "From: ann@home.example\nTo: support@acme.example\nSubject: About [#2]\nMessage-ID: <h4@home.example>\n\nby tag\n")
			d.sync()
			tk := d.ticket(1)
			var texts []string
			for _, m := range tk.Messages {
				texts = append(texts, strings.TrimSpace(m.Text))
			}
			joined := strings.Join(texts, "|")
			for _, want := range []string{"Still burning, from home.", "by header", "by token", "by tag"} {
				if !strings.Contains(joined, want) {
					t.Errorf("#1 lacks %q: %q", want, joined)
				}
			}
			if out := must(t, d.dsn, "tickets", "list", "--property", "acme", "--status", "all"); strings.Count(out, "\n") != 2 {
				t.Fatalf("a later reply opened a ticket:\n%s", out)
			}

			// By mail: Dora's ticket #3 is the same issue; Alice merges it from her copy of #1.
			d.mailFrom("dora@customer.example", "acme@desk.example", "From: dora@customer.example\nTo: support@acme.example\nSubject: Office printer smokes\nMessage-ID: <d1@customer.example>\n\nSmoke!\n")
			d.sync()
			d.replyAs("alice", "#merge 99"+quoted)
			if ms := to(d.sync(), "alice@acme.example"); len(ms) != 1 || !strings.Contains(ms[0].raw, "no ticket #99") {
				t.Fatalf("#merge of no ticket: %+v", ms)
			}
			d.replyAs("alice", "#merge 3"+quoted)
			d.sync()
			tk = d.ticket(3)
			if tk.Number != 1 || !d.hasEvent(tk, "merged") {
				t.Fatalf("#3 after #merge 3 on #1: %+v", tk.Ticket)
			}
			found := false
			for _, m := range tk.Messages {
				found = found || strings.Contains(m.Text, "Smoke!")
			}
			if !found || !strings.Contains(strings.Join(tk.Participants, ","), "dora@customer.example") {
				t.Fatalf("Dora's mail and address should be on #1: %+v", tk.Participants)
			}
			d.quiet()
		})
	}
}
