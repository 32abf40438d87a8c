package main

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// thunderbirdQuote is how Thunderbird quotes a mail when its user starts the reply below the
// quote: an attribution line, then every line of the text part behind "> ".
func thunderbirdQuote(t *testing.T, m sentMail) string {
	t.Helper()
	pm := mailparse.Parse([]byte(m.raw))
	if !strings.Contains(pm.Text, templates.ReplyMarker("en")) {
		t.Fatalf("the copy holds no marker:\n%s", pm.Text)
	}
	var b strings.Builder
	b.WriteString("On 12/3/26 9:00 AM, Acme Support wrote:\n")
	for _, l := range strings.Split(strings.TrimRight(pm.Text, "\n"), "\n") {
		b.WriteString(strings.TrimRight("> "+l, " ") + "\n")
	}
	return b.String()
}

// An agent who answers below the quote of their own copy: the answer is posted and sent to the
// customer, and no command-error mail is sent (they typed no command).
func TestAgentBottomPostByMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			d.replyAs("alice", thunderbirdQuote(t, d.copies["alice"])+"\nUnplug it, please.\n\nAlice\n")
			ms := d.newMail(2)
			cust := to(ms, "ann@customer.example")
			if len(cust) != 1 {
				t.Fatalf("the customer should get the reply: %+v", ms)
			}
			text := mailparse.Parse([]byte(cust[0].raw)).Text
			if !strings.Contains(text, "Unplug it, please.") || strings.Contains(text, "It burns.") {
				t.Fatalf("reply to the customer:\n%s", text)
			}
			if len(to(ms, "alice@acme.example")) != 0 || len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("copies: want Bob (assignee) only, got %+v", ms)
			}
			d.quiet()
			tk := d.ticket(1)
			if d.hasEvent(tk, "empty-reply") || d.hasEvent(tk, "commands-rejected") {
				t.Fatalf("refused: %+v", tk.Events)
			}
			last := tk.Messages[len(tk.Messages)-1]
			if last.Direction != tickets.DirectionOut || last.Trimmed != "Unplug it, please.\n\nAlice" {
				t.Fatalf("stored reply: %+v", last)
			}
			// Commands at the top of an answer written below the quote run like any.
			d.replyAs("alice", thunderbirdQuote(t, d.copies["alice"])+"\n#priority high\nDone, it is off.\n")
			ms = d.newMail(2)
			if cust := to(ms, "ann@customer.example"); len(cust) != 1 || strings.Contains(cust[0].raw, "#priority") ||
				!strings.Contains(cust[0].raw, "Done, it is off.") {
				t.Fatalf("reply with a command below the quote: %+v", ms)
			}
			d.quiet()
			if tk = d.ticket(1); tk.Priority != "high" {
				t.Fatalf("the command below the quote did not run: %+v", tk.Ticket)
			}
		})
	}
}

// A customer who answers below the quote of our mail: the stored reply is the answer only.
func TestCustomerBottomPostByMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			d.replyAs("alice", "Is it still burning?\n")
			ms := d.newMail(2)
			ack := to(ms, "ann@customer.example")
			if len(ack) != 1 {
				t.Fatalf("the customer should get the reply: %+v", ms)
			}
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Re: Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: " +
				ack[0].h.Get("Message-Id") + "\n\n" + thunderbirdQuote(t, ack[0]) + "\nYes, and now the desk too.\n\nAnn\n")
			tk := d.ticket(1)
			last := tk.Messages[len(tk.Messages)-1]
			if last.From != "ann@customer.example" || last.Trimmed != "Yes, and now the desk too.\n\nAnn" {
				t.Fatalf("stored answer: %+v", last)
			}
		})
	}
}
