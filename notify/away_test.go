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

// When a snooze ends, the assignee — and nobody else — is told by automatic mail, queued in the
// wake's transaction, once.
func TestSnoozeEndedNotice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		clk := func() time.Time { return now }
		s := tickets.New(d, tickets.WithClock(clk))
		ctx := context.Background()
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		alice, _ := s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
		if _, err := s.AddAgent(ctx, p.ID, "bob@acme.example", "Bob", ""); err != nil {
			t.Fatal(err)
		}
		secret, _ := s.Secret(ctx)
		tpl, _ := templates.Default()
		s.AddHook(New(s, tpl, Config{Domain: "desk.example", Secret: secret}))
		in := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Printer", MessageID: "q1@c", Raw: []byte("q1"), Kind: "human"}
		if _, err := s.Deliver(ctx, p, secret, in); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Assign(ctx, p, 1, alice, "bob@acme.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Snooze(ctx, p, 1, alice, now.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		count := func(kind, rcpt string) int {
			t.Helper()
			var n int
			if err := d.GetContext(ctx, &n, d.Rebind(`SELECT COUNT(*) FROM outbox WHERE kind = ? AND rcpts = ?`), kind, rcpt); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if w, err := s.WakeSnoozed(ctx); err != nil || len(w) != 0 {
			t.Fatalf("woke %v, %v before the time", w, err)
		}
		if n := count(templates.SnoozeEnded, "bob@acme.example"); n != 0 {
			t.Fatalf("%d notices before the snooze ended", n)
		}
		now = now.Add(25 * time.Hour)
		if w, err := s.WakeSnoozed(ctx); err != nil || len(w) != 1 {
			t.Fatalf("woke %v, %v", w, err)
		}
		if w, err := s.WakeSnoozed(ctx); err != nil || len(w) != 0 {
			t.Fatalf("woke again %v, %v", w, err)
		}
		if n := count(templates.SnoozeEnded, "bob@acme.example"); n != 1 {
			t.Fatalf("the assignee got %d snooze notices, want 1", n)
		}
		if n := count(templates.SnoozeEnded, "alice@acme.example"); n != 0 {
			t.Fatalf("an agent the ticket is not assigned to got %d snooze notices", n)
		}
		var raw []byte
		if err := d.GetContext(ctx, &raw, d.Rebind(`SELECT raw FROM outbox WHERE kind = ?`), templates.SnoozeEnded); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Subject: [#1] Printer\r\n", "X-Postdesk-Event: snooze-ended", "Auto-Submitted: auto-generated", "<bob@acme.example>"} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("the notice lacks %q:\n%s", want, raw)
			}
		}
	})
}
