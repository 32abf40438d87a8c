package main

import (
	"fmt"
	"net/mail"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Stale replies by mail: an agent answering an old copy, after a colleague answered the customer
// or wrote a note, is held — nothing reaches the customer — and told what was sent since;
// "#send" sends it anyway.

// answer sends agent's mail answering m (a mail postdesk sent them): to its Reply-To, In-Reply-To
// and References its Message-ID, under the Message-ID id.
func (d *agentDesk) answer(agent string, m sentMail, id, body string) {
	d.t.Helper()
	rt, err := mail.ParseAddress(m.h.Get("Reply-To"))
	if err != nil {
		d.t.Fatalf("reply-to: %v", err)
	}
	refs := strings.TrimSpace(m.h.Get("References") + " " + m.h.Get("Message-Id"))
	d.mailFrom(agent+"@acme.example", rt.Address, fmt.Sprintf("From: %s@acme.example\nTo: %s\nSubject: Re: %s\nMessage-ID: <%s>\nIn-Reply-To: %s\nReferences: %s\n\n%s",
		agent, rt.Address, m.h.Get("Subject"), id, m.h.Get("Message-Id"), refs, body))
}

func lastMessage(t tickets.TicketDetail) tickets.Message { return t.Messages[len(t.Messages)-1] }

func countEvents(t tickets.TicketDetail, kind string) int {
	n := 0
	for _, e := range t.Events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func TestStaleReplyByMailIsHeld(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			oldCopy := d.copies["alice"] // the new-ticket notification: it showed Ann's mail only

			// Bob (the assignee) answers Ann from his copy: she has it.
			d.replyAs("bob", "A technician comes tomorrow to replace it."+quoted)
			if ms := d.newMail(1); len(to(ms, "ann@customer.example")) != 1 {
				t.Fatalf("Bob's reply: %+v", ms)
			}
			d.quiet()

			// Alice answers her old notification: held. Ann gets nothing; Alice gets one mail
			// saying what Bob sent, quoting her reply, and how to send it anyway.
			d.answer("alice", oldCopy, "alice-refund@acme.example", "We will refund you in full."+quoted)
			ms := d.newMail(1)
			notice := to(ms, "alice@acme.example")
			if len(notice) != 1 {
				t.Fatalf("held notice: %+v", ms)
			}
			n := notice[0]
			if n.h.Get("X-Postdesk-Event") != "reply-held" || n.h.Get("Subject") != "[#1] Printer on fire" || !strings.Contains(n.raw, "was not sent") || !strings.Contains(n.raw, "A technician comes tomorrow") ||
				!strings.Contains(n.raw, "We will refund you in full.") || !strings.Contains(n.raw, "#send") || n.h.Get("Auto-Submitted") == "" {
				t.Fatalf("held notice:\n%s", n.raw)
			}
			d.quiet()
			tk := d.ticket(1)
			held := lastMessage(tk)
			if !held.Held || held.Direction != tickets.DirectionNote || held.Trimmed != "We will refund you in full." || countEvents(tk, "reply-held") != 1 {
				t.Fatalf("held reply stored as %+v, events %+v", held, tk.Events)
			}

			// Alice answers the notice with #send (twice over: one mail sends it once): Ann (and her
			// boss in Cc) get the held reply, with the Message-ID Alice's client gave it; Bob a
			// copy; Alice nothing.
			d.answer("alice", n, "alice-send@acme.example", "#send\n#send"+quoted)
			ms = d.newMail(2)
			cust := to(ms, "ann@customer.example")
			if len(cust) != 1 || !slices_contains(cust[0].rcpts, "boss@customer.example") || !strings.Contains(cust[0].raw, "We will refund you in full.") ||
				strings.Contains(cust[0].raw, "#send") || cust[0].h.Get("Message-Id") != "<alice-refund@acme.example>" || cust[0].h.Get("Auto-Submitted") != "" {
				t.Fatalf("released reply to the customer: %+v", ms)
			}
			if bob := to(ms, "bob@acme.example"); len(bob) != 1 || !strings.Contains(bob[0].raw, "We will refund you in full.") {
				t.Fatalf("Bob's copy of the released reply: %+v", ms)
			}
			d.quiet()
			tk = d.ticket(1)
			sent := lastMessage(tk)
			if sent.Held || sent.Direction != tickets.DirectionOut || sent.MessageID != "alice-refund@acme.example" || sent.Trimmed != "We will refund you in full." || countEvents(tk, "reply-released") != 1 {
				t.Fatalf("released reply stored as %+v, events %+v", sent, tk.Events)
			}
			for _, m := range tk.Messages {
				if m.Held {
					t.Fatalf("a held message is left: %+v", m)
				}
			}

			// #send again sends nothing: Alice is told there is no held reply of hers.
			d.answer("alice", n, "alice-send2@acme.example", "#send\n")
			ms = d.newMail(1)
			if len(to(ms, "alice@acme.example")) != 1 || !strings.Contains(ms[0].raw, "no reply of yours is held") {
				t.Fatalf("second #send: %+v", ms)
			}
			d.quiet()
		})
	}
}

func TestReplyToLatestCopyIsNotHeld(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			// Alice answers (she is involved from then on), then Bob from his copy of her reply:
			// Alice gets a copy of his.
			d.replyAs("alice", "Unplug it first."+quoted)
			bobs := to(d.newMail(2), "bob@acme.example")
			if len(bobs) != 1 {
				t.Fatalf("Bob's copy of Alice's reply: %+v", bobs)
			}
			d.answer("bob", bobs[0], "bob-window@acme.example", "And open a window."+quoted)
			ms := d.newMail(2)
			latest := to(ms, "alice@acme.example")
			if len(latest) != 1 || len(to(ms, "ann@customer.example")) != 1 {
				t.Fatalf("Bob's reply: %+v", ms)
			}
			// Answering that latest copy is not stale: it goes to Ann.
			d.answer("alice", latest[0], "alice-latest@acme.example", "Then wait outside."+quoted)
			ms = d.newMail(2)
			if len(to(ms, "ann@customer.example")) != 1 || len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("reply to the latest copy: %+v", ms)
			}
			d.quiet()
			if tk := d.ticket(1); countEvents(tk, "reply-held") != 0 || lastMessage(tk).Direction != tickets.DirectionOut {
				t.Fatalf("held: %+v", tk.Events)
			}
			// A note of Bob's (from his copy of Alice's last reply) makes her copies stale too.
			bobs = to(ms, "bob@acme.example")
			d.answer("bob", bobs[0], "bob-note@acme.example", "#note\nDo not promise a refund."+quoted)
			d.newMail(1) // Alice's copy of the note
			d.answer("alice", latest[0], "alice-stale@acme.example", "Refund on its way."+quoted)
			ms = d.newMail(1)
			if len(to(ms, "alice@acme.example")) != 1 || !strings.Contains(ms[0].raw, "Do not promise a refund.") {
				t.Fatalf("held after a note: %+v", ms)
			}
			d.quiet()
		})
	}
}

// Only a colleague's reply or note makes a reply stale: the customer writing again does not (the
// agent has that mail's notification too; holding would hold every answer to a chatty customer),
// nor the agent's own replies.
func TestReplyAfterCustomerMailIsNotHeld(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			oldCopy := d.copies["alice"]
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Re: [#1] Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: <c1@customer.example>\n\nIt smokes now.\n")
			if ms := d.newMail(1); len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("Ann's second mail: %+v", ms)
			}
			d.answer("alice", oldCopy, "alice-a@acme.example", "Please leave the room."+quoted)
			if ms := d.newMail(2); len(to(ms, "ann@customer.example")) != 1 {
				t.Fatalf("reply after the customer's mail: %+v", ms)
			}
			// Her own reply since does not make the old copy stale either.
			d.answer("alice", oldCopy, "alice-b@acme.example", "And call the fire brigade."+quoted)
			if ms := d.newMail(2); len(to(ms, "ann@customer.example")) != 1 {
				t.Fatalf("second reply from the same copy: %+v", ms)
			}
			d.quiet()
			if tk := d.ticket(1); countEvents(tk, "reply-held") != 0 {
				t.Fatalf("held: %+v", tk.Events)
			}
		})
	}
}
