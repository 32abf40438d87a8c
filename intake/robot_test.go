package intake

import (
	"context"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// A challenge-response request answering our acknowledgement is kept on the ticket and never
// answered; one that names no ticket is kept as system mail. Neither is a ticket.
func TestChallengeResponseIsNeverATicketOrAnswered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if _, err := f.s.AddAgent(ctx, f.p.ID, "alice@acme.example", "Alice", ""); err != nil {
			t.Fatal(err)
		}
		tpl, _ := templates.Default()
		f.s.AddHook(notify.New(f.s, tpl, notify.Config{Domain: "desk.example", Secret: f.pl.secret}))
		first := f.deliver(t, "ann@customer.example", "From: ann@customer.example\r\nSubject: Printer\r\nMessage-ID: <c1@customer.example>\r\n\r\nbroken\r\n")
		var ack string
		if err := d.GetContext(ctx, &ack, d.Rebind(`SELECT message_id FROM outbox WHERE rcpts = ? AND kind = ?`), "ann@customer.example", templates.Acknowledgement); err != nil {
			t.Fatal(err)
		}
		challenge := "From: Ann via Boxbe <notification@boxbe.com>\r\nTo: acme@desk.example\r\nSubject: Request to join my Guest List\r\nMessage-ID: <ch1@boxbe.com>\r\nIn-Reply-To: " + ack + "\r\n\r\nClick the link below to be added to her Guest List.\r\n"
		m := Prepare("bounce@boxbe.com", []byte(challenge))
		if m.Class.Kind != "challenge-response" {
			t.Fatalf("classified %s (%s)", m.Class.Kind, m.Class.Reason)
		}
		got, err := f.pl.Deliver(ctx, f.p, []string{"acme@desk.example"}, m)
		if err != nil {
			t.Fatal(err)
		}
		if got.Action != threading.Append || got.TicketID != first.TicketID {
			t.Fatalf("the challenge: %+v, want it on the ticket", got)
		}
		if kinds := outboxTo(t, d, "notification@boxbe.com"); len(kinds) != 0 {
			t.Fatalf("mail to the challenge: %v", kinds)
		}
		if kinds := outboxTo(t, d, "alice@acme.example"); len(kinds) != 1 {
			t.Fatalf("mail to the agent: %v, want only the new-ticket notice", kinds)
		}
		lone := f.deliver(t, "bounce@boxbe.com", "From: notification@boxbe.com\r\nSubject: Request to join my Guest List\r\nMessage-ID: <ch2@boxbe.com>\r\n\r\nClick below.\r\n")
		if lone.Action != threading.Drop || !lone.Kept {
			t.Fatalf("an unmatched challenge: %+v, want it kept as system mail", lone)
		}
		ms, err := f.s.ListSystemMail(ctx, tickets.SystemMailFilter{PropertyID: f.p.ID, Class: "challenge-response"})
		if err != nil || len(ms) != 1 || ms[0].MessageID != "ch2@boxbe.com" {
			t.Fatalf("system mail: %+v, %v", ms, err)
		}
	})
}
