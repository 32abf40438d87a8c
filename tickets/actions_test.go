package tickets_test

import (
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// An agent's own action leaves a ticket they had read read for them, and unread for the others.
func TestOwnActionKeepsATicketRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		del := w.mail(t, w.p, "k1@customer.example", "carol@customer.example", "Kettle", "broken")
		n := del.TicketNumber
		if err := w.s.MarkRead(w.ctx, w.p, n, w.alice); err != nil {
			t.Fatal(err)
		}
		if err := w.s.MarkRead(w.ctx, w.p, n, w.bob); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(time.Second)
		for _, o := range []tickets.Op{{Action: "priority", Priority: "high"}, {Action: "tag", Tags: []string{"vip"}}, {Action: "close"}} {
			if _, err := w.s.Apply(w.ctx, w.p, w.alice, n, o); err != nil {
				t.Fatal(o.Action, err)
			}
			w.clk.Advance(time.Second)
			if read, err := w.s.ReadBy(w.ctx, w.p, n, w.alice); err != nil || !read {
				t.Errorf("after her own %s, alice's read ticket is unread (%v)", o.Action, err)
			}
			if read, _ := w.s.ReadBy(w.ctx, w.p, n, w.bob); read {
				t.Errorf("after alice's %s, bob should see the ticket unread", o.Action)
			}
		}
		// Not read before: an action does not mark it read.
		if err := w.s.MarkUnread(w.ctx, w.p, n, w.alice); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Apply(w.ctx, w.p, w.alice, n, tickets.Op{Action: "reopen"}); err != nil {
			t.Fatal(err)
		}
		if read, _ := w.s.ReadBy(w.ctx, w.p, n, w.alice); read {
			t.Error("an action marked an unread ticket read")
		}
	})
}
