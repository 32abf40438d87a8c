package main

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Agents work from their mail client: every test here goes through the real SMTP intake and the
// capturing relay, on both engines.

// agentDesk is a desk with ticket #1 from Ann (Cc her boss), assigned to Bob, and the copies of
// the new-ticket notification each agent got.
type agentDesk struct {
	*desk
	copies map[string]sentMail // agent → their notification of ticket #1
	seen   int                 // mails the relay had when the last step ended
}

func newAgentDesk(t *testing.T, dsn string) *agentDesk {
	d := &agentDesk{desk: newDesk(t, dsn), copies: map[string]sentMail{}}
	must(t, dsn, "department", "add", "--property", "acme", "--name", "Billing", "--member", "carol@acme.example")
	d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nCc: boss@customer.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
	ms := d.sent(4)
	for _, a := range []string{"alice", "bob", "carol"} {
		n := to(ms, a+"@acme.example")
		if len(n) != 1 {
			t.Fatalf("%s got %d notifications", a, len(n))
		}
		d.copies[a] = n[0]
	}
	d.cli("tickets", "assign", "--property", "acme", "--as", "alice@acme.example", "1", "bob@acme.example")
	d.sent(5)
	d.seen = 5
	return d
}

// replyAs sends agent's mail answering their own copy of ticket #1: to its Reply-To (the
// agent-scoped token), In-Reply-To its Message-ID.
func (d *agentDesk) replyAs(agent, body string, headers ...string) {
	d.t.Helper()
	c := d.copies[agent]
	rt, err := mail.ParseAddress(c.h.Get("Reply-To"))
	if err != nil {
		d.t.Fatalf("reply-to of %s's copy: %v", agent, err)
	}
	d.mailFrom(agent+"@acme.example", rt.Address, fmt.Sprintf("From: %s@acme.example\nTo: %s\n%sSubject: Re: %s\nMessage-ID: <%s-%d@acme.example>\nIn-Reply-To: %s\n\n%s",
		agent, rt.Address, strings.Join(headers, ""), c.h.Get("Subject"), agent, time.Now().UnixNano(), c.h.Get("Message-Id"), body))
}

func (d *agentDesk) mailFrom(from, rcpt, msg string) {
	d.t.Helper()
	if err := sendMail(d.t, d.smtp, from, []string{rcpt}, msg); err != nil {
		d.t.Fatal(err)
	}
}

// newMail waits for n more mails and returns them.
func (d *agentDesk) newMail(n int) []sentMail {
	d.t.Helper()
	ms := d.sent(d.seen + n)
	out := ms[d.seen:]
	d.seen += n
	return out
}

// quiet checks that no further mail went out: once the outbox is drained, the relay holds
// exactly the mails the test has taken.
func (d *agentDesk) quiet() {
	d.t.Helper()
	if got := d.drained(); len(got) != d.seen {
		var extra []string
		for _, m := range got[d.seen:] {
			extra = append(extra, strings.Join(m.Rcpts, ","))
		}
		d.t.Fatalf("unexpected mail to %v", extra)
	}
}

func (d *agentDesk) ticket(n int) tickets.TicketDetail {
	d.t.Helper()
	var t tickets.TicketDetail
	if err := json.Unmarshal([]byte(must(d.t, d.dsn, "tickets", "show", "--property", "acme", "--json", fmt.Sprint(n))), &t); err != nil {
		d.t.Fatal(err)
	}
	return t
}

func (d *agentDesk) hasEvent(t tickets.TicketDetail, kind string) bool {
	for _, e := range t.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

const quoted = "\n\nOn Sun, 29 Nov 2026 at 10:00, Acme Support <support@acme.example> wrote:\n> It burns.\n> Please answer above this line.\n"

func TestAgentReplyByMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			d.replyAs("alice", "Unplug it, please.\n\n-- \nAlice, Acme"+quoted)
			ms := d.newMail(2)
			cust := to(ms, "ann@customer.example")
			if len(cust) != 1 || !slices_contains(cust[0].rcpts, "boss@customer.example") {
				t.Fatalf("the customer and Cc should get the reply: %+v", ms)
			}
			if !strings.Contains(cust[0].raw, "Unplug it, please.") || strings.Contains(cust[0].raw, "It burns.") ||
				cust[0].h.Get("Auto-Submitted") != "" || !strings.Contains(cust[0].h.Get("From"), "support@acme.example") {
				t.Fatalf("reply to the customer:\n%s", cust[0].raw)
			}
			if cust[0].h.Get("In-Reply-To") == cust[0].h.Get("Message-Id") {
				t.Fatalf("the reply answers itself: %s", cust[0].h.Get("In-Reply-To"))
			}
			if len(to(ms, "bob@acme.example")) != 1 || len(to(ms, "alice@acme.example")) != 0 {
				t.Fatalf("copies: want Bob (assignee) only, got %+v", ms)
			}
			d.quiet()
			// A reply with nothing above the quote sends nothing on (it would send only our own
			// notification); Alice is told.
			d.replyAs("alice", quoted)
			if ms := d.newMail(1); len(to(ms, "alice@acme.example")) != 1 || !strings.Contains(ms[0].raw, "above the quoted text") {
				t.Fatalf("empty reply notice: %+v", ms)
			}
			d.quiet()
			// An inline answer keeps quoted lines in the trimmed text; none of them reaches Ann.
			d.replyAs("alice", "> It burns.\nThen call the fire brigade.\n> Please answer above this line.\nAnd stay outside.\n")
			ms = d.newMail(2)
			cust = to(ms, "ann@customer.example")
			if len(cust) != 1 || strings.Contains(cust[0].raw, "It burns") || !strings.Contains(cust[0].raw, "Then call the fire brigade.") || !strings.Contains(cust[0].raw, "And stay outside.") {
				t.Fatalf("inline answer sent as:\n%+v", ms)
			}
			d.quiet()
			tk := d.ticket(1)
			if !d.hasEvent(tk, "empty-reply") {
				t.Fatalf("empty reply: %+v", tk.Events)
			}
			last := tk.Messages[len(tk.Messages)-3]
			if last.Direction != tickets.DirectionOut || last.From != "alice@acme.example" || last.Trimmed != "Unplug it, please." ||
				!strings.Contains(last.Text, "It burns.") {
				t.Fatalf("stored reply: %+v", last)
			}
		})
	}
}

func TestAgentCommandsByMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))

			// Commands only: they run, nothing reaches the customer. #assign tells Billing (Carol).
			d.replyAs("alice", "#priority urgent\n#tag VIP\n#tag printer\n#assign billing"+quoted)
			if ms := d.newMail(1); len(to(ms, "carol@acme.example")) != 1 {
				t.Fatalf("assignment to Billing should tell Carol: %+v", ms)
			}
			d.quiet()
			tk := d.ticket(1)
			if tk.Priority != "urgent" || strings.Join(tk.Tags, ",") != "printer,vip" || tk.Department == nil || *tk.Department != "Billing" || tk.Assignee != nil {
				t.Fatalf("after commands: %+v", tk.Ticket)
			}

			// #untag, #assign me and #close with a reply: the reply goes out, then the ticket is closed.
			d.replyAs("alice", "#untag printer\n#assign me\n#close\nIt is fixed now, closing.\n"+quoted)
			ms := d.newMail(1)
			if len(to(ms, "ann@customer.example")) != 1 || strings.Contains(ms[0].raw, "#close") || !strings.Contains(ms[0].raw, "It is fixed now") {
				t.Fatalf("reply with commands: %+v", ms)
			}
			d.quiet()
			tk = d.ticket(1)
			if tk.Status != tickets.StatusClosed || strings.Join(tk.Tags, ",") != "vip" || tk.Assignee == nil || *tk.Assignee != "alice@acme.example" {
				t.Fatalf("after close: %+v", tk.Ticket)
			}

			// #reopen and #snooze: open again, hidden until the snooze ends.
			d.replyAs("alice", "#reopen\n#snooze 2d"+quoted)
			d.quiet()
			tk = d.ticket(1)
			if tk.Status != tickets.StatusOpen || !d.hasEvent(tk, "snoozed") || !d.hasEvent(tk, "reopened") {
				t.Fatalf("after reopen and snooze: %+v %+v", tk.Ticket, tk.Events)
			}

			// An unknown command or value changes nothing, sends nothing on, and Alice hears why.
			d.replyAs("alice", "#priority asap\n#frobnicate\n#close\nDone!"+quoted)
			ms = d.newMail(1)
			if len(to(ms, "alice@acme.example")) != 1 || !strings.Contains(ms[0].raw, "#priority") || !strings.Contains(ms[0].raw, "frobnicate") {
				t.Fatalf("error mail: %+v", ms)
			}
			d.quiet()
			if tk = d.ticket(1); tk.Status != tickets.StatusOpen || tk.Priority != "urgent" || !d.hasEvent(tk, "commands-rejected") {
				t.Fatalf("a rejected command changed the ticket: %+v", tk.Ticket)
			}

			// Bob answers by mail too, from his first notification: Alice has answered since, so
			// it is held and he is told (stale_test.go); he sends it anyway: the customer gets it,
			// Alice (involved) a copy.
			d.replyAs("bob", "On my way."+quoted)
			held := to(d.newMail(1), "bob@acme.example")
			if len(held) != 1 {
				t.Fatalf("Bob's stale reply: %+v", held)
			}
			d.answer("bob", held[0], "bob-send@acme.example", "#send\n")
			if ms = d.newMail(2); len(to(ms, "ann@customer.example")) != 1 || len(to(ms, "alice@acme.example")) != 1 {
				t.Fatalf("Bob's reply: %+v", ms)
			}
			// #note: stored, copied to the other agents involved (Bob), never sent to the customer.
			d.replyAs("alice", "#note\nShe is a VIP, be gentle."+quoted)
			ms = d.newMail(1)
			if len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("note went to %+v", ms[0].rcpts)
			}
			if !strings.Contains(ms[0].raw, "She is a VIP") {
				t.Fatalf("note copy: %s", ms[0].raw)
			}
			d.quiet()
			tk = d.ticket(1)
			if last := tk.Messages[len(tk.Messages)-1]; last.Direction != tickets.DirectionNote || last.Trimmed != "She is a VIP, be gentle." {
				t.Fatalf("note stored as %+v", last)
			}
			// Bob answers the note's copy: internal too — Alice gets it, Ann never does.
			noteCopy := ms[0]
			rt, _ := mail.ParseAddress(noteCopy.h.Get("Reply-To"))
			d.mailFrom("bob@acme.example", rt.Address, "From: bob@acme.example\nTo: "+rt.Address+"\nSubject: Re: note\nMessage-ID: <bob-note@acme.example>\nIn-Reply-To: "+noteCopy.h.Get("Message-Id")+"\n\nAgreed, refund her quietly.\n")
			if ms = d.newMail(1); len(to(ms, "alice@acme.example")) != 1 {
				t.Fatalf("answer to a note: %+v", ms)
			}
			d.quiet()
		})
	}
}

func TestCommandsAreOnlyAgents(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))

			// A customer who writes #close changes nothing; Bob (the assignee) hears of the reply.
			ack := d.relay.Messages()[0]
			pm, _ := mail.ReadMessage(strings.NewReader(string(ack.Data)))
			d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: Re: [#1] Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: " + pm.Header.Get("Message-Id") + "\n\n#close\n#assign ann@customer.example\n")
			if ms := d.newMail(1); len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("customer reply: %+v", ms)
			}
			if tk := d.ticket(1); tk.Status != tickets.StatusOpen || *tk.Assignee != "bob@acme.example" {
				t.Fatalf("a customer's #close ran: %+v", tk.Ticket)
			}

			// Alice answering with Bob's token (a foreign token) runs nothing and sends nothing on.
			bobs, _ := mail.ParseAddress(d.copies["bob"].h.Get("Reply-To"))
			d.mailFrom("alice@acme.example", bobs.Address, "From: alice@acme.example\nTo: "+bobs.Address+"\nSubject: Re: [#1]\nMessage-ID: <foreign@acme.example>\n\n#close\nClosing.\n")
			// A forged token in the address, with the ticket found by In-Reply-To: refused too.
			d.mailFrom("alice@acme.example", "acme+t1a1-aaaaaaaaaaaaaaaa@desk.example", "From: alice@acme.example\nTo: acme+t1a1-aaaaaaaaaaaaaaaa@desk.example\nSubject: Re: [#1]\nMessage-ID: <forged@acme.example>\nIn-Reply-To: <c1@customer.example>\n\n#close\n")
			// Alice is told, each time, that nothing was run or sent.
			if ms := d.newMail(2); len(to(ms, "alice@acme.example")) != 2 || len(to(ms, "ann@customer.example")) != 0 {
				t.Fatalf("refusal notices: %+v", ms)
			}
			// Two From fields (one signed, one read): never trusted with commands or sending on.
			alices, _ := mail.ParseAddress(d.copies["alice"].h.Get("Reply-To"))
			d.mailFrom("alice@acme.example", alices.Address, "From: alice@acme.example\nFrom: mallory@acme.example\nTo: "+alices.Address+"\nSubject: Re: [#1]\nMessage-ID: <twofrom@acme.example>\n\n#close\nClosing.\n")
			if ms := d.newMail(1); len(to(ms, "ann@customer.example")) != 0 {
				t.Fatalf("two-From mail was sent on: %+v", ms)
			}
			d.quiet()
			tk := d.ticket(1)
			if tk.Status != tickets.StatusOpen {
				t.Fatalf("a foreign or forged token closed the ticket")
			}
			refused := 0
			for _, e := range tk.Events {
				if e.Kind == "commands-refused" {
					refused++
				}
			}
			if refused != 2 || !d.hasEvent(tk, "agent-mail-refused") {
				t.Fatalf("want 2 refusals, got events %+v", tk.Events)
			}
		})
	}
}

func TestAgentAnsweredCustomerDirectly(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			// Alice answers Ann's own mail with the property in Cc: Ann has it; it is posted and Bob
			// gets a copy.
			d.mailFrom("alice@acme.example", "acme@desk.example", "From: alice@acme.example\nTo: ann@customer.example\nCc: support@acme.example\nSubject: Re: Printer on fire\nMessage-ID: <direct@acme.example>\nIn-Reply-To: <c1@customer.example>\n\nCalled you, all good."+quoted)
			ms := d.newMail(1)
			if len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("copy: %+v", ms)
			}
			d.quiet()
			tk := d.ticket(1)
			if last := tk.Messages[len(tk.Messages)-1]; last.Direction != tickets.DirectionOut || last.Trimmed != "Called you, all good." {
				t.Fatalf("posted as %+v", last)
			}
		})
	}
}

func TestAgentForwardsCustomerMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newDesk(t, e.DSN(t))
			fwd := "From: alice@acme.example\nTo: acme@desk.example\nSubject: Fwd: Broken invoice\nMessage-ID: <fw1@acme.example>\n\nFYI, from a client.\n\n" +
				"---------- Forwarded message ---------\nFrom: Zed Client <zed@client.example>\nDate: Sat, 28 Nov 2026 at 09:12\nSubject: Broken invoice\nTo: <alice@acme.example>\n\nMy invoice is wrong.\nZed\n"
			if err := sendMail(t, d.smtp, "alice@acme.example", []string{"acme@desk.example"}, fwd); err != nil {
				t.Fatal(err)
			}
			// An attached message/rfc822, from Outlook: the attached mail's sender is the customer.
			att := "From: bob@acme.example\nTo: acme@desk.example\nSubject: FW: Refund\nMessage-ID: <fw2@acme.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nPlease handle.\n--b\nContent-Type: message/rfc822\n\n" +
				"From: Yan <yan@client.example>\nTo: bob@acme.example\nSubject: Refund\nMessage-ID: <orig@client.example>\n\nI want my money back.\n--b--\n"
			if err := sendMail(t, d.smtp, "bob@acme.example", []string{"acme@desk.example"}, att); err != nil {
				t.Fatal(err)
			}
			ad := &agentDesk{desk: d}
			// Carol hears of both tickets, the forwarding agents of the other's only; no
			// acknowledgement goes to customers who did not write to us.
			ms := ad.newMail(4)
			if len(to(ms, "zed@client.example"))+len(to(ms, "yan@client.example")) != 0 {
				t.Fatalf("acknowledged a forwarded mail: %+v", ms)
			}
			for n, want := range map[int][2]string{1: {"zed@client.example", "Broken invoice"}, 2: {"yan@client.example", "Refund"}} {
				tk := ad.ticket(n)
				if tk.Customer != want[0] || tk.Subject != want[1] {
					t.Fatalf("ticket %d: customer %q subject %q", n, tk.Customer, tk.Subject)
				}
			}
		})
	}
}
