package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// The brake counts per address and per ticket: ten people writing on one ticket within an hour
// never trip it, nor one person writing LoopMax times in the window; one mail more from one
// address is held — stored, no mail caused — and the agents and admins are told once. After a
// quiet window, that address's mail is acted on again.
func TestLoopBrake(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := tickets.New(d, tickets.WithClock(func() time.Time { return now }))
		ctx := context.Background()
		p, _ := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
		s.AddAgent(ctx, p.ID, "boss@acme.example", "Boss", "admin")
		secret, _ := s.Secret(ctx)
		tpl, _ := templates.Default()
		s.AddHook(New(s, tpl, Config{Domain: "desk.example", Secret: secret}))
		n := 0
		var people []tickets.Address
		for i := range 9 {
			people = append(people, tickets.Address{Email: fmt.Sprintf("p%d@customer.example", i)})
		}
		deliver := func(from string) {
			t.Helper()
			n++
			in := tickets.Inbound{From: tickets.Address{Email: from}, Subject: "Q", MessageID: fmt.Sprintf("m%d@c", n), Raw: []byte("x"), Kind: "human"}
			if n > 1 {
				in.InReplyTo = []string{"m1@c"}
			} else {
				in.Cc = people // everyone on the ticket from the start
			}
			if _, err := s.Deliver(ctx, p, secret, in); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Second)
		}
		// count counts the mails of kind queued to alice (every agent gets the same notifications),
		// or to anyone for the loop notice.
		count := func(kind string) int {
			var c int
			if err := d.GetContext(ctx, &c, d.Rebind(`SELECT COUNT(*) FROM outbox WHERE kind = ? AND (rcpts = ? OR kind = ?)`), kind, "alice@acme.example", templates.LoopSuspected); err != nil {
				t.Fatal(err)
			}
			return c
		}
		deliver("ann@customer.example")
		// Ten people on the ticket, each writing once: the ticket is busy, not looping.
		for _, who := range people {
			deliver(who.Email)
		}
		// Ann writes up to the limit (10 in the window, with her first).
		for range DefaultLoopMax - 1 {
			deliver("ann@customer.example")
		}
		replies := count(templates.CustomerReply)
		if replies != 9+DefaultLoopMax-1 || count(templates.LoopSuspected) != 0 {
			t.Fatalf("%d customer-reply notifications, %d loop notices, want %d and 0", replies, count(templates.LoopSuspected), 9+DefaultLoopMax-1)
		}
		// One more from Ann within the window: held; alice (the audience) and the admin are told.
		deliver("ann@customer.example")
		deliver("ann@customer.example")
		if got := count(templates.CustomerReply); got != replies {
			t.Fatalf("held mail caused %d notifications", got-replies)
		}
		if got := count(templates.LoopSuspected); got != 2 {
			t.Fatalf("%d loop notices, want one each to alice and the admin", got)
		}
		det, err := s.Detail(ctx, p.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(det.Messages) != n {
			t.Fatalf("%d messages stored, want all %d (held mail is kept)", len(det.Messages), n)
		}
		// Others on the ticket are not held.
		deliver("p0@customer.example")
		if got := count(templates.CustomerReply); got != replies+1 {
			t.Fatalf("another address's mail was held too")
		}
		// Quiet for a whole window: Ann's next mail is acted on.
		now = now.Add(DefaultLoopWindow + time.Minute)
		deliver("ann@customer.example")
		if got := count(templates.CustomerReply); got != replies+2 {
			t.Fatalf("after a quiet window Ann's mail is still held")
		}
	})
}
