package tickets_test

import (
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// A closed ticket snoozed wakes open: that is a reopening, so the customer's mail from before the
// close does not make it wait since then.
func TestWakingAClosedTicketIsAReopening(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		n := w.mail(t, w.p, "z1@customer.example", "ann@customer.example", "Come back to this", "?").TicketNumber
		w.clk.Advance(time.Hour)
		if _, err := w.s.Close(w.ctx, w.p.ID, n, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Snooze(w.ctx, w.p, n, w.alice, w.clk.Now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantWaiting(t, "closed and snoozed", w.waiting(t, w.p, n), "", time.Time{})
		w.clk.Advance(3 * time.Hour)
		woke := w.clk.Now()
		if got, err := w.s.WakeSnoozed(w.ctx); err != nil || len(got) != 1 {
			t.Fatalf("woke %v (%v), want the ticket", got, err)
		}
		tk := w.waiting(t, w.p, n)
		if tk.Status != tickets.StatusOpen {
			t.Fatalf("woke %s, want open", tk.Status)
		}
		wantWaiting(t, "woken", tk, tickets.WaitingUs, woke)
	})
}

// The first response never precedes the ticket (a merge brings older replies along) and never
// moves back (a merge brings a reply older than the ticket's own first one).
func TestFirstResponseNeverMovesBackNorPrecedesTheTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		old := w.mail(t, w.p, "f1@customer.example", "ann@customer.example", "Old question", "?").TicketNumber
		w.clk.Advance(time.Hour)
		w.reply(t, old, "fr1@acme.example")
		w.clk.Advance(time.Hour)
		a := w.mail(t, w.p, "f2@customer.example", "bob@customer.example", "New question", "?").TicketNumber
		w.clk.Advance(time.Hour)
		if _, err := w.s.Merge(w.ctx, w.p, a, old, tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		wantFirstResponse(t, "A with an older ticket merged in", w.waiting(t, w.p, a), time.Time{})

		b := w.mail(t, w.p, "f3@customer.example", "cy@customer.example", "Another question", "?").TicketNumber
		w.clk.Advance(time.Hour)
		w.reply(t, b, "fr2@acme.example")
		w.clk.Advance(time.Hour)
		first := w.clk.Now()
		w.reply(t, a, "fr3@acme.example")
		wantFirstResponse(t, "A answered", w.waiting(t, w.p, a), first)
		w.clk.Advance(time.Hour)
		if _, err := w.s.Merge(w.ctx, w.p, a, b, tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		wantFirstResponse(t, "A with a ticket answered earlier merged in", w.waiting(t, w.p, a), first)
	})
}
