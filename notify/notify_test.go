package notify

import (
	"bytes"
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

func TestNoHeaderInjection(t *testing.T) {
	raw, err := build(spec{
		From:       mail.Address{Name: "Acme\r\nBcc: evil@example.org", Address: "support@acme.example"},
		To:         []mail.Address{{Name: "Ann\nBcc: evil@example.org", Address: "ann@customer.example"}},
		ReplyTo:    "acme+t1-x@desk.example",
		Subject:    "Hello\r\nBcc: evil@example.org",
		MessageID:  "id@desk.example",
		InReplyTo:  "bad>\r\nBcc: evil@example.org",
		References: []string{"ok@customer.example", "also bad\r\nX-Evil: 1"},
		Loop:       "acme@desk.example\r\nX-Evil: 1",
		Text:       "body", Date: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Header["Bcc"]) > 0 || len(m.Header["X-Evil"]) > 0 {
		t.Fatalf("a header was injected:\n%s", raw)
	}
	if refs := m.Header.Get("References"); refs != "<ok@customer.example>" {
		t.Fatalf("References %q: invalid ids must be left out", refs)
	}
	if m.Header.Get("In-Reply-To") != "" {
		t.Fatalf("an invalid In-Reply-To was written: %q", m.Header.Get("In-Reply-To"))
	}
}

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
