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

// The kind of notification says what happened: a reopen and a follow-up are told apart.
func TestReopenAndFollowUpNotifications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		clk := func() time.Time { return now }
		s := tickets.New(d, tickets.WithClock(clk))
		ctx := context.Background()
		p, _ := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
		secret, _ := s.Secret(ctx)
		tpl, _ := templates.Default()
		n := New(s, tpl, Config{Domain: "desk.example", Secret: secret})
		s.AddHook(n)
		deliver := func(id, inReplyTo string) {
			t.Helper()
			in := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Q", MessageID: id, Raw: []byte(id), Kind: "human"}
			if inReplyTo != "" {
				in.InReplyTo = []string{inReplyTo}
			}
			if _, err := s.Deliver(ctx, p, secret, in); err != nil {
				t.Fatal(err)
			}
		}
		deliver("q1@c", "")
		s.Close(ctx, p.ID, 1, "test")
		now = now.Add(time.Hour)
		deliver("q2@c", "q1@c") // reopens #1
		s.Close(ctx, p.ID, 1, "test")
		now = now.Add(100 * time.Hour)
		deliver("q3@c", "q2@c") // after the window: #2 follows up #1
		var kinds []string
		if err := d.SelectContext(ctx, &kinds, d.Rebind(`SELECT kind FROM outbox WHERE rcpts = ? ORDER BY id`), "alice@acme.example"); err != nil {
			t.Fatal(err)
		}
		want := []string{templates.NewTicket, templates.Reopened, templates.FollowUp}
		if strings.Join(kinds, ",") != strings.Join(want, ",") {
			t.Fatalf("notifications to the agent: %v, want %v", kinds, want)
		}
		// And they were rendered when queued: the bytes the sender will send.
		var raw []byte
		if err := d.GetContext(ctx, &raw, d.Rebind(`SELECT raw FROM outbox WHERE rcpts = ? ORDER BY id DESC LIMIT 1`), "alice@acme.example"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "[#2]") || !strings.Contains(string(raw), "#1") || !strings.Contains(string(raw), "Auto-Submitted: auto-generated") {
			t.Fatalf("follow-up notification:\n%s", raw)
		}
	})
}
