package tickets_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// closeRecorder remembers the ChangeClosed the store reports.
type closeRecorder struct{ closes []tickets.Change }

func (h *closeRecorder) OnChange(_ context.Context, _ *sqlx.Tx, c tickets.Change) error {
	if c.Kind == tickets.ChangeClosed {
		h.closes = append(h.closes, c)
	}
	return nil
}

// Every close tells the hooks once, with the agent who closed (none from the command line); a
// close of a closed ticket is none; a spam ticket's close is not Human; trash and spam are no close.
func TestCloseTellsTheHooksOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rec := &closeRecorder{}
		f.s.AddHook(rec)
		alice, err := f.s.AddAgent(f.ctx, f.p.ID, "alice@acme.example", "Alice", "support")
		if err != nil {
			t.Fatal(err)
		}
		f.deliver(t, customerMail("m1@customer", "Printer on fire"))
		want := func(n int, agentID int64, human bool) {
			t.Helper()
			if len(rec.closes) != n {
				t.Fatalf("%d closes told, want %d", len(rec.closes), n)
			}
			if c := rec.closes[n-1]; c.AgentID != agentID || c.Human != human || c.Property.ID != f.p.ID || c.MessageID != 0 {
				t.Fatalf("close told as %+v", c)
			}
		}
		if _, err := f.s.Close(f.ctx, f.p.ID, 1, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		want(1, 0, true)
		f.s.Close(f.ctx, f.p.ID, 1, tickets.ActorCLI)
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "close"})
		want(1, 0, true)
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "reopen"})
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "trash"})
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "restore"})
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "spam"})
		want(1, 0, true)
		if _, err := f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "close"}); err != nil {
			t.Fatal(err)
		}
		want(2, alice.ID, false)
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "unspam"})
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "reopen"})
		f.s.Apply(f.ctx, f.p, alice, 1, tickets.Op{Action: "close"})
		want(3, alice.ID, true)
	})
}
