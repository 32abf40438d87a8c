package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// An agent's reply (here from the CLI, API or web inbox: Store.Reply) and a note are copied to the
// same parties — the agents involved and the ticket's audience — never to their sender.
func TestReplyAndNoteCopiesReachTheParties(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := tickets.New(d, tickets.WithClock(func() time.Time { return now }))
		ctx := context.Background()
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		agents := map[string]tickets.Agent{}
		for _, a := range []string{"alice", "bob", "carol", "dan"} {
			if agents[a], err = s.AddAgent(ctx, p.ID, a+"@acme.example", a, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddDepartment(ctx, p.ID, "Billing", []string{"bob@acme.example", "carol@acme.example"}); err != nil {
			t.Fatal(err)
		}
		secret, _ := s.Secret(ctx)
		tpl, _ := templates.Default()
		s.AddHook(New(s, tpl, Config{Domain: "desk.example", Secret: secret}))
		for _, id := range []string{"q1@c", "q2@c"} {
			in := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Q " + id, MessageID: id, Raw: []byte(id), Kind: "human", Text: "help"}
			if _, err := s.Deliver(ctx, p, secret, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Assign(ctx, p, 1, agents["alice"], "Billing"); err != nil {
			t.Fatal(err)
		}
		var last int64
		copies := func(t *testing.T) []string {
			t.Helper()
			var rows []struct {
				ID    int64  `db:"id"`
				Rcpts string `db:"rcpts"`
			}
			if err := d.SelectContext(ctx, &rows, d.Rebind(`SELECT id, rcpts FROM outbox WHERE kind = ? AND id > ? ORDER BY id`), templates.AgentCopy, last); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, strings.TrimSuffix(r.Rcpts, "@acme.example"))
				last = r.ID
			}
			slices.Sort(out)
			return out
		}
		copies(t)
		act := func(t *testing.T, note bool, n int64, by string, want ...string) {
			t.Helper()
			out := tickets.Outgoing{Text: "from " + by}
			f := s.Reply
			if note {
				f = s.Note
			}
			if _, err := f(ctx, p, n, agents[by], out, tickets.NewMessageID("desk.example")); err != nil {
				t.Fatal(err)
			}
			if got := copies(t); !slices.Equal(got, want) {
				t.Fatalf("copies of %s's message on #%d (note %v): %v, want %v", by, n, note, got, want)
			}
		}
		// #1 is Billing's: Bob's reply reaches Carol, a member who took no part.
		act(t, false, 1, "bob", "carol")
		// Dan, no member, writes a note, then a reply: the same parties, Bob (involved) and Carol.
		act(t, true, 1, "dan", "bob", "carol")
		act(t, false, 1, "dan", "bob", "carol")
		// Carol answers: Bob (member, involved) and Dan (involved).
		act(t, false, 1, "carol", "bob", "dan")
		// #2 has no assignee and the property no default department: every other agent.
		act(t, false, 2, "alice", "bob", "carol", "dan")
		act(t, true, 2, "bob", "alice", "carol", "dan")
	})
}
