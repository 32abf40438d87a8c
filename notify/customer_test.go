package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// The close mail is automatic mail: it counts in the per-address limit, with the acknowledgement,
// and never goes to a bouncing address; each time it is held back, the ticket's log says why.
func TestCloseMailLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := tickets.New(d, tickets.WithClock(func() time.Time { return now }))
		ctx := context.Background()
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetCloseMail(ctx, p.ID, true); err != nil {
			t.Fatal(err)
		}
		p, _ = s.PropertyByID(ctx, p.ID)
		alice, _ := s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
		secret, _ := s.Secret(ctx)
		tpl, _ := templates.Default()
		s.AddHook(New(s, tpl, Config{Domain: "desk.example", Secret: secret, AutoPerHour: 2}))
		in := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Printer", MessageID: "q1@c", Raw: []byte("q1"), Kind: "human"}
		if _, err := s.Deliver(ctx, p, secret, in); err != nil {
			t.Fatal(err)
		}
		cycle := func() {
			t.Helper()
			for _, action := range []string{"close", "reopen"} {
				if _, err := s.Apply(ctx, p, alice, 1, tickets.Op{Action: action}); err != nil {
					t.Fatal(err)
				}
			}
		}
		closeMails := func() int {
			t.Helper()
			var n int
			if err := d.GetContext(ctx, &n, d.Rebind(`SELECT COUNT(*) FROM outbox WHERE kind = ? AND rcpts = ?`), templates.Closed, "ann@customer.example"); err != nil {
				t.Fatal(err)
			}
			return n
		}
		suppressed := func() []string {
			t.Helper()
			tk, err := s.Ticket(ctx, p.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			var whys []string
			if err := d.SelectContext(ctx, &whys, d.Rebind(`SELECT detail FROM ticket_events WHERE ticket_id = (SELECT id FROM tickets WHERE property_id = ? AND number = ?) AND kind = 'close-mail-suppressed' ORDER BY id`), p.ID, tk.Number); err != nil {
				t.Fatal(err)
			}
			return whys
		}
		cycle() // the acknowledgement and this close mail: 2 this hour
		cycle() // the limit
		if n, whys := closeMails(), suppressed(); n != 1 || len(whys) != 1 || !strings.Contains(whys[0], "loop protection") {
			t.Fatalf("%d close mails, suppressed %q; want 1 and the limit", n, whys)
		}
		now = now.Add(2 * time.Hour)
		if err := s.MarkBouncing(ctx, nil, p.ID, "ann@customer.example"); err != nil {
			t.Fatal(err)
		}
		cycle()
		if n, whys := closeMails(), suppressed(); n != 1 || len(whys) != 2 || whys[1] != "the address bounces" {
			t.Fatalf("%d close mails, suppressed %q; want 1 and the bounce", n, whys)
		}
	})
}
