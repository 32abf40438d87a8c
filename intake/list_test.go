package intake

import (
	"context"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/threading"
)

// groupMail is a customer's mail as a Google Group that is the support address passes it on.
func groupMail(id, subject, extra string) string {
	return "From: Ann <ann@customer.example>\r\nTo: support@acme.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id + ">\r\n" + extra +
		"List-Id: <support.acme.example>\r\nList-Post: <mailto:support@acme.example>\r\nPrecedence: list\r\nMailing-list: list support@acme.example; contact support+owners@acme.example\r\n\r\nMy printer is broken.\r\n"
}

// outboxTo lists the templates queued for rcpt.
func outboxTo(t *testing.T, d *db.DB, rcpt string) []string {
	t.Helper()
	var kinds []string
	if err := d.SelectContext(context.Background(), &kinds, d.Rebind(`SELECT kind FROM outbox WHERE rcpts = ? ORDER BY id`), rcpt); err != nil {
		t.Fatal(err)
	}
	return kinds
}

// List mail is a person's mail: it opens a ticket and the agents are told, but nothing automatic
// goes back (RFC 3834 §2) — and a reply through the list threads like any reply.
func TestListMailOpensATicketWithoutAcknowledgement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if _, err := f.s.AddAgent(ctx, f.p.ID, "alice@acme.example", "Alice", ""); err != nil {
			t.Fatal(err)
		}
		tpl, _ := templates.Default()
		f.s.AddHook(notify.New(f.s, tpl, notify.Config{Domain: "desk.example", Secret: f.pl.secret}))

		m := Prepare("support+bncBD@acme.example", []byte(groupMail("g1@customer.example", "Printer", "")))
		if m.Class.Kind != "list" {
			t.Fatalf("classified %s (%s), want list", m.Class.Kind, m.Class.Reason)
		}
		first, err := f.pl.Deliver(ctx, f.p, []string{"acme@desk.example"}, m)
		if err != nil {
			t.Fatal(err)
		}
		if first.Action != threading.Create {
			t.Fatalf("list mail: %s, want a new ticket", first.Action)
		}
		if got := outboxTo(t, d, "ann@customer.example"); len(got) != 0 {
			t.Fatalf("mail to the customer of a list: %v, want none", got)
		}
		if got := outboxTo(t, d, "alice@acme.example"); strings.Join(got, ",") != templates.NewTicket {
			t.Fatalf("mail to the agent: %v, want %s", got, templates.NewTicket)
		}
		det, err := f.s.Detail(ctx, f.p.ID, first.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		suppressed := false
		for _, e := range det.Events {
			suppressed = suppressed || (e.Kind == "acknowledgement-suppressed" && strings.Contains(e.Detail, "mailing list"))
		}
		if !suppressed || det.Messages[0].Kind != "list" {
			t.Fatalf("events %+v, message kind %q", det.Events, det.Messages[0].Kind)
		}

		// The customer's answer through the list joins the ticket and the agent is told.
		next := f.deliver(t, "support+bncBD@acme.example", groupMail("g2@customer.example", "Re: Printer", "In-Reply-To: <g1@customer.example>\r\n"))
		if next.Action != threading.Append || next.TicketID != first.TicketID {
			t.Fatalf("reply through the list: %+v", next)
		}
		if got := outboxTo(t, d, "alice@acme.example"); len(got) != 2 || got[1] != templates.CustomerReply {
			t.Fatalf("mail to the agent: %v", got)
		}
		if got := outboxTo(t, d, "ann@customer.example"); len(got) != 0 {
			t.Fatalf("mail to the customer of a list: %v, want none", got)
		}

		// An agent's mail through the list does not act for the agent: nothing is sent on to
		// the customer (anyone can post to a list under any From).
		// It answers the agent's own notification, which would make it her reply.
		var notified string
		if err := d.GetContext(ctx, &notified, d.Rebind(`SELECT message_id FROM outbox WHERE rcpts = ? ORDER BY id DESC LIMIT 1`), "alice@acme.example"); err != nil {
			t.Fatal(err)
		}
		agentPost := strings.Replace(groupMail("g3@acme.example", "Re: Printer", "In-Reply-To: <"+strings.Trim(notified, "<>")+">\r\n"), "From: Ann <ann@customer.example>", "From: Alice <alice@acme.example>", 1)
		agentPost = strings.Replace(agentPost, "My printer is broken.", "Please switch it off and on again.", 1)
		if got := f.deliver(t, "support+bncBD@acme.example", agentPost); got.TicketID != first.TicketID {
			t.Fatalf("the agent's list mail: %+v", got)
		}
		if got := outboxTo(t, d, "ann@customer.example"); len(got) != 0 {
			t.Fatalf("an agent's list mail was sent on to the customer: %v", got)
		}
	})
}

// A property that wants list mail ignored gets the old behaviour: no ticket, no mail.
func TestIgnoreListMailSetting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if f.p.IgnoreListMail {
			t.Fatal("ignore_list_mail is on by default")
		}
		if err := f.s.SetIgnoreListMail(ctx, f.p.ID, true); err != nil {
			t.Fatal(err)
		}
		p, err := f.s.PropertyBySlug(ctx, "acme")
		if err != nil || !p.IgnoreListMail {
			t.Fatalf("property after the setting: %+v, %v", p, err)
		}
		f.p = p
		got := f.deliver(t, "support+bncBD@acme.example", groupMail("g1@customer.example", "Printer", ""))
		if got.Action != threading.Drop || got.TicketID != 0 || !got.Kept {
			t.Fatalf("ignored list mail: %+v, want it kept as system mail only", got)
		}
		var n int
		if err := d.GetContext(ctx, &n, "SELECT COUNT(*) FROM tickets"); err != nil || n != 0 {
			t.Fatalf("%d tickets, %v", n, err)
		}
	})
}
