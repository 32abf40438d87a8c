package tickets_test

import (
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Each view's count is the length of its list, for each agent, and the other property's
// tickets are never counted.
func TestCountViewsMatchTheLists(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		w.populate(t, 44)
		rs := w.refs(t)
		now := w.clk.Now()
		for _, a := range []tickets.Agent{w.alice, w.bob} {
			counts, err := w.s.CountViews(w.ctx, w.p.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, view := range tickets.Views {
				want := len(swExpect(rs, now, a.Email, nil, view, "updated", false))
				if counts[view] != want {
					t.Errorf("%s: view %s counts %d, the list holds %d", a.Email, view, counts[view], want)
				}
			}
		}
	})
}

// A ticket waits for an answer while its last mail is the customer's: an agent's reply ends
// the wait, a note does not, and the customer's next mail starts it again.
func TestListShowsWhoWaits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		del := w.mail(t, w.p, "w1@customer.example", "carol@customer.example", "Where is my order?", "Hello")
		waiting := func() bool {
			t.Helper()
			p, err := w.s.Search(w.ctx, w.p.ID, w.alice.ID, tickets.Query{})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Tickets {
				if it.Number == del.TicketNumber {
					return it.Waiting
				}
			}
			t.Fatalf("ticket %d is not listed", del.TicketNumber)
			return false
		}
		if !waiting() {
			t.Error("a new customer mail: the customer should be waiting")
		}
		if _, err := w.s.Note(w.ctx, w.p, del.TicketNumber, w.alice, tickets.Outgoing{Text: "checking"}, "<n1@acme.example>"); err != nil {
			t.Fatal(err)
		}
		if !waiting() {
			t.Error("a note is not an answer: the customer should still be waiting")
		}
		w.clk.Advance(1)
		if _, err := w.s.Reply(w.ctx, w.p, del.TicketNumber, w.alice, tickets.Outgoing{Text: "It ships today"}, "<r1@acme.example>"); err != nil {
			t.Fatal(err)
		}
		if waiting() {
			t.Error("answered: the customer should not be waiting")
		}
		w.clk.Advance(1)
		w.mail(t, w.p, "w2@customer.example", "carol@customer.example", "Re: Where is my order?", "Thanks, and?", "<r1@acme.example>")
		if !waiting() {
			t.Error("the customer wrote again: waiting again")
		}
	})
}
