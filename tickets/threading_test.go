package tickets_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// mailFrom is a human's mail to the support address.
func mailFrom(from, id, subject string) tickets.Inbound {
	in := customerMail(id, subject)
	in.From = tickets.Address{Email: from}
	return in
}

// answering is mail from sender answering parent (In-Reply-To and References).
func answering(from, id, parent string) tickets.Inbound {
	in := mailFrom(from, id, "Re: Our spring offer")
	in.InReplyTo, in.References = []string{parent}, []string{parent}
	return in
}

// replyRecipients is whom an agent's reply on ticket n is addressed to: the ticket's customer and
// its Cc, as notify reads them.
func (f *fixture) replyRecipients(t *testing.T, n int64) []string {
	t.Helper()
	tk, err := f.s.Ticket(f.ctx, f.p.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := f.s.MailContext(f.ctx, nil, tickets.Change{Kind: tickets.ChangeAgentReply, Property: f.p, TicketID: tk.ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{mc.Contact.Email}, mc.Cc...)
}

func TestFiveCustomersAnsweringOneMailGetFiveTickets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		// Marketing's offer went to support and, in Bcc, to many customers; partner was in Cc.
		offer := mailFrom("news@acme-marketing.example", "offer-1@acme-marketing.example", "Our spring offer")
		offer.Cc = []tickets.Address{{Email: "partner@reseller.example"}}
		if got := f.deliver(t, offer); got.TicketNumber != 1 {
			t.Fatalf("the offer: %+v", got)
		}
		for i := 1; i <= 5; i++ {
			c := fmt.Sprintf("c%d@customer.example", i)
			got := f.deliver(t, answering(c, fmt.Sprintf("a%d@customer.example", i), "offer-1@acme-marketing.example"))
			if got.Action != threading.FollowUp || got.Decision.Reason != threading.Answers || got.TicketNumber != int64(i+1) || got.FollowsUp != 1 {
				t.Fatalf("%s's answer: %+v", c, got)
			}
			tk, _ := f.s.Ticket(f.ctx, f.p.ID, got.TicketNumber)
			if tk.FollowsUp == nil || *tk.FollowsUp != 1 || tk.Status != tickets.StatusOpen {
				t.Fatalf("%s's ticket is not linked to the offer: %+v", c, tk)
			}
			if rc := f.replyRecipients(t, got.TicketNumber); !slices.Equal(rc, []string{c}) {
				t.Fatalf("a reply on %s's ticket goes to %v", c, rc)
			}
		}
		det, _ := f.s.Detail(f.ctx, f.p.ID, 1)
		if det.MessageCount != 1 || slices.Contains(det.Participants, "c1@customer.example") {
			t.Fatalf("the offer's ticket took in an answer: %d messages, participants %v", det.MessageCount, det.Participants)
		}
		if last := det.Events[len(det.Events)-1]; last.Kind != "followed-up" || !strings.Contains(last.Detail, "c5@customer.example, who takes no part") {
			t.Fatalf("the offer's last event: %+v", last)
		}
		second, _ := f.s.Detail(f.ctx, f.p.ID, 2)
		if second.Messages[0].Threading != "answers <offer-1@acme-marketing.example>" || !strings.Contains(second.Events[0].Detail, "answers #1") {
			t.Fatalf("the reason of c1's ticket: %q, %+v", second.Messages[0].Threading, second.Events[0])
		}
		// Agents hear of a new ticket, not of a closed one followed up.
		mc, err := f.s.MailContext(f.ctx, nil, tickets.Change{Kind: tickets.ChangeTicketCreated, Property: f.p, TicketID: second.ID, MessageID: second.Messages[0].ID}, false)
		if err != nil || mc.FollowsUp != 0 {
			t.Fatalf("mail context of c1's ticket: follows up %d, %v", mc.FollowsUp, err)
		}

		// c1 answers the offer again: their own ticket, not a sixth.
		if got := f.deliver(t, answering("c1@customer.example", "a1-again@customer.example", "offer-1@acme-marketing.example")); got.Decision.Reason != threading.ByBranch || got.TicketNumber != 2 || got.Action != threading.Append {
			t.Fatalf("c1's second answer: %+v", got)
		}
		// Those who take part in the offer's ticket join it: its sender, and the Cc.
		for _, who := range []string{"partner@reseller.example", "news@acme-marketing.example"} {
			if got := f.deliver(t, answering(who, "p-"+who, "offer-1@acme-marketing.example")); got.Decision.Reason != threading.ByInReplyTo || got.TicketNumber != 1 {
				t.Fatalf("%s's answer: %+v", who, got)
			}
		}
		// So do the property's agents.
		if _, err := f.s.AddAgent(f.ctx, f.p.ID, "agent@acme.example", "Agent", ""); err != nil {
			t.Fatal(err)
		}
		note := answering("agent@acme.example", "agent-1@acme.example", "offer-1@acme-marketing.example")
		note.Text, note.Trimmed = "#note internal", "#note internal"
		if got := f.deliver(t, note); got.TicketNumber != 1 || got.Decision.Reason != threading.ByInReplyTo {
			t.Fatalf("the agent's mail: %+v", got)
		}
		// A bounce of the offer to one of the Bcc is the offer's: robots never open tickets.
		bounce := answering("mailer-daemon@mx.customer.example", "bounce-1@mx.customer.example", "offer-1@acme-marketing.example")
		bounce.Kind = "bounce"
		if got := f.deliver(t, bounce); got.Action != threading.Append || got.TicketNumber != 1 {
			t.Fatalf("the bounce: %+v", got)
		}
		if ts, _ := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{}); len(ts) != 6 {
			t.Fatalf("%d tickets, want 6", len(ts))
		}
	})
}

func TestAStrangersAnswerToAClosedTicketIsNotReopening(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.deliver(t, customerMail("q1@customer", "Question"))
		if _, err := f.s.Close(f.ctx, f.p.ID, 1, "test"); err != nil {
			t.Fatal(err)
		}
		got := f.deliver(t, answering("dan@other.example", "d1@other", "q1@customer"))
		if got.Action != threading.FollowUp || got.Decision.Reason != threading.Answers || got.FollowsUp != 1 {
			t.Fatalf("a stranger's answer within the window: %+v", got)
		}
		if tk, _ := f.s.Ticket(f.ctx, f.p.ID, 1); tk.Status != tickets.StatusClosed || tk.Messages != 1 {
			t.Fatalf("the closed ticket changed: %+v", tk)
		}
	})
}

func TestAReplyTokenJoinsEvenFromANonParticipant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, customerMail("k1@customer", "Token"))
		// Ann answers from her other address, or a colleague she forwarded our mail to.
		in := answering("ann.private@mail.example", "k2@mail.example", "k1@customer")
		tok := replytoken.Sign(f.secret, f.p.ID, replytoken.Claims{TicketID: first.TicketID})
		in.Recipients = []string{replytoken.Address("acme", tok, "desk.example")}
		if got := f.deliver(t, in); got.Decision.Reason != threading.ByToken || got.TicketID != first.TicketID {
			t.Fatalf("token reply from a non-participant: %+v", got)
		}
	})
}

func TestGhostIDsThreadRepliesWhoseParentWasNeverStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		// The vendor wrote to Ann and Bob, not to us; Ann answers with us and Bob in Cc.
		ann := answering("ann@customer.example", "ann-1@customer.example", "vendor-1@vendor.example")
		ann.Cc = []tickets.Address{{Email: "bob@customer.example"}}
		if got := f.deliver(t, ann); got.Action != threading.Create {
			t.Fatalf("Ann's mail: %+v", got)
		}
		// Bob answers the vendor's mail too, unaware of Ann's: the shared ghost joins them.
		if got := f.deliver(t, answering("bob@customer.example", "bob-1@customer.example", "vendor-1@vendor.example")); got.TicketNumber != 1 || got.Decision.String() != "in-reply-to <vendor-1@vendor.example>" {
			t.Fatalf("Bob's mail: %+v", got)
		}
		// A ghost lets no stranger in.
		if got := f.deliver(t, answering("dan@other.example", "dan-1@other.example", "vendor-1@vendor.example")); got.Decision.Reason != threading.Answers || got.TicketNumber != 2 {
			t.Fatalf("a stranger's mail: %+v", got)
		}
		// The vendor's mail itself, when it reaches us after all, joins too (its own id is a key).
		vendor := mailFrom("ann@customer.example", "vendor-1@vendor.example", "Your order")
		if got := f.deliver(t, vendor); got.TicketNumber != 1 || got.Decision.String() != "referenced-by <vendor-1@vendor.example>" {
			t.Fatalf("the original after its replies: %+v", got)
		}
	})
}

func TestTheOriginalJoinsTheTicketOfAReplyThatCameFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		// Bob's reply-all to Ann's mail overtakes it.
		reply := answering("bob@customer.example", "r1@customer.example", "orig@customer.example")
		reply.Cc = []tickets.Address{{Email: "ann@customer.example"}}
		first := f.deliver(t, reply)
		orig := mailFrom("ann@customer.example", "orig@customer.example", "Printer")
		orig.Cc = []tickets.Address{{Email: "bob@customer.example"}}
		if got := f.deliver(t, orig); got.TicketID != first.TicketID || got.Decision.Reason != threading.ByReferencedBy {
			t.Fatalf("the original: %+v", got)
		}
		// And answers to the original join that ticket as well.
		if got := f.deliver(t, answering("ann@customer.example", "a2@customer.example", "orig@customer.example")); got.TicketID != first.TicketID {
			t.Fatalf("an answer to the original: %+v", got)
		}
		if ts, _ := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{}); len(ts) != 1 {
			t.Fatalf("%d tickets", len(ts))
		}
	})
}

func TestGhostIDsAreBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		long := mailFrom("ann@customer.example", "long@customer.example", "A long thread")
		for i := range 1000 {
			long.References = append(long.References, fmt.Sprintf("r%d@list.example", i))
		}
		f.deliver(t, long)
		var n int
		if err := d.DB.Get(&n, d.DB.Rebind("SELECT COUNT(*) FROM thread_ids WHERE property_id = ?"), f.p.ID); err != nil {
			t.Fatal(err)
		}
		if n != 1+threading.MaxGhosts {
			t.Fatalf("%d thread keys for a mail with 1000 references, want %d", n, 1+threading.MaxGhosts)
		}
		// The closest 20 ancestors are kept: r980…r999; r979 is not.
		if got := f.deliver(t, answering("ann@customer.example", "x1@customer.example", "r980@list.example")); got.TicketNumber != 1 {
			t.Fatalf("a reply sharing the 20th closest reference: %+v", got)
		}
		if got := f.deliver(t, answering("ann@customer.example", "x2@customer.example", "r979@list.example")); got.Action != threading.Create {
			t.Fatalf("a reply sharing the 21st closest reference: %+v", got)
		}
	})
}

// Another ticket system's mail carries a thread id of its own in References or In-Reply-To, the
// same on every mail about one of its tickets, and often nothing of ours: its own Message-IDs are
// new each time, and its subject carries its tag, not ours.
func TestHelpdeskToHelpdeskMailJoinsTheTicketHoldingItsThreadID(t *testing.T) {
	type mail struct {
		id, subject string
		inReplyTo   []string
		references  []string
		kind        string
	}
	cases := []struct {
		name   string
		from   string
		first  mail
		second mail
	}{
		{
			// Request Tracker: References carries <RT-Ticket-N@rtname> (and RT-Ticket: rtname #N).
			name: "request tracker", from: "support@vendor.example",
			first: mail{id: "rt-5.0.5-811-1764000000-1461.4567-6-0@vendor.example", subject: "[vendor.example #4567] Replacement part for order 991",
				references: []string{"RT-Ticket-4567@vendor.example"}},
			second: mail{id: "rt-5.0.5-811-1764090000-1203.4567-9-0@vendor.example", subject: "[vendor.example #4567] Part shipped",
				references: []string{"RT-Ticket-4567@vendor.example"}},
		},
		{
			// Jira: every notification on an issue answers the issue's own pseudo id,
			// JIRA.<issue id>.<created ms>@<host>; its own Message-ID adds a counter and the time.
			name: "jira", from: "jira@vendor.atlassian.net",
			first: mail{id: "JIRA.10042.1764000000000.1234.1764000000123@Atlassian.JIRA", subject: "[JIRA] (SUP-17) Login fails for acme users",
				inReplyTo: []string{"JIRA.10042.1764000000000@Atlassian.JIRA"}, references: []string{"JIRA.10042.1764000000000@Atlassian.JIRA"}},
			// The next one is an automatic notification: robots join by the id as well.
			second: mail{id: "JIRA.10042.1764000000000.1301.1764090000456@Atlassian.JIRA", subject: "[JIRA] (SUP-17) Status changed to Waiting for customer",
				inReplyTo: []string{"JIRA.10042.1764000000000@Atlassian.JIRA"}, references: []string{"JIRA.10042.1764000000000@Atlassian.JIRA"}, kind: "auto-reply"},
		},
		{
			// A ServiceNow-style incident notification: the incident's id in References, the
			// mail's own id new each time, the INC number in the subject.
			name: "servicenow", from: "acmeit@service-now.com",
			first: mail{id: "1764000000123.4411.1873@acmeit.service-now.com", subject: "Incident INC0012345 has been opened on your behalf",
				references: []string{"INC0012345.9d3c1e2f1b7a4410@acmeit.service-now.com"}},
			second: mail{id: "1764090000777.4411.2210@acmeit.service-now.com", subject: "Incident INC0012345 -- comments added",
				inReplyTo: []string{"1764050000100.4411.2001@acmeit.service-now.com"}, references: []string{"INC0012345.9d3c1e2f1b7a4410@acmeit.service-now.com", "1764050000100.4411.2001@acmeit.service-now.com"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				f := newFixture(t, d)
				in := func(m mail) tickets.Inbound {
					x := mailFrom(c.from, m.id, m.subject)
					x.InReplyTo, x.References = m.inReplyTo, m.references
					if m.kind != "" {
						x.Kind = m.kind
					}
					return x
				}
				first := f.deliver(t, in(c.first))
				if first.Action != threading.Create {
					t.Fatalf("first: %+v", first)
				}
				// Our agent answered in between; the other system kept none of our ids.
				a, err := f.s.AddAgent(f.ctx, f.p.ID, "agent@acme.example", "Agent", "")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.s.Reply(f.ctx, f.p, first.TicketNumber, a, tickets.Outgoing{Text: "On its way."}, "reply-1@acme.example"); err != nil {
					t.Fatal(err)
				}
				got := f.deliver(t, in(c.second))
				if got.TicketID != first.TicketID || got.Action != threading.Append {
					t.Fatalf("second: %+v, want ticket #%d", got, first.TicketNumber)
				}
				// The same id from an address of theirs that takes no part is another conversation.
				other := in(c.second)
				other.MessageID, other.From, other.Kind = "other-"+other.MessageID, tickets.Address{Email: "billing@" + strings.SplitN(c.from, "@", 2)[1]}, "human"
				if got := f.deliver(t, other); got.Decision.Reason != threading.Answers || got.FollowsUp != first.TicketNumber {
					t.Fatalf("a non-participant with the id: %+v", got)
				}
			})
		})
	}
}

// Our agent writes to a vendor's Request Tracker: its automatic "ticket created" answer is the only
// mail that names both our Message-ID and its own ticket id, and its staff's later mail names only
// its own. The robot's references are kept too, so the later mail finds our ticket.
func TestATicketSystemsAutoReplyTeachesItsThreadID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a, err := f.s.AddAgent(f.ctx, f.p.ID, "agent@acme.example", "Agent", "")
		if err != nil {
			t.Fatal(err)
		}
		tk, err := f.s.CreateTicket(f.ctx, f.p, a, tickets.NewTicket{Customer: tickets.Address{Email: "support@vendor.example"},
			Subject: "Replacement part for order 991", Outgoing: tickets.Outgoing{Text: "Please send a new part."}}, "open-1@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		ack := mailFrom("support@vendor.example", "rt-5.0.5-811-1764000000-1461.4567-0-0@vendor.example", "[vendor.example #4567] AutoReply: Replacement part for order 991")
		ack.InReplyTo, ack.References, ack.Kind = []string{"open-1@acme.example"}, []string{"open-1@acme.example", "RT-Ticket-4567@vendor.example"}, "auto-reply"
		if got := f.deliver(t, ack); got.Action != threading.Append || got.TicketNumber != tk.Number {
			t.Fatalf("RT's auto-reply: %+v", got)
		}
		staff := mailFrom("support@vendor.example", "rt-5.0.5-811-1764090000-1203.4567-9-0@vendor.example", "[vendor.example #4567] Part shipped")
		staff.References = []string{"RT-Ticket-4567@vendor.example"}
		if got := f.deliver(t, staff); got.TicketNumber != tk.Number || got.Decision.String() != "references <RT-Ticket-4567@vendor.example>" {
			t.Fatalf("RT's staff mail: %+v", got)
		}
	})
}
