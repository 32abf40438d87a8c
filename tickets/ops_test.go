package tickets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// hookRecorder remembers the changes the store reports.
type hookRecorder struct{ kinds []tickets.ChangeKind }

func (h *hookRecorder) OnChange(_ context.Context, _ *sqlx.Tx, c tickets.Change) error {
	h.kinds = append(h.kinds, c.Kind)
	return nil
}

func TestTicketOperations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rec := &hookRecorder{}
		f.s.AddHook(rec)
		alice, err := f.s.AddAgent(f.ctx, f.p.ID, "alice@acme.example", "Alice", "support")
		if err != nil {
			t.Fatal(err)
		}
		f.deliver(t, customerMail("m1@customer", "Printer on fire"))

		tk, err := f.s.SetPriority(f.ctx, f.p, 1, alice, "URGENT")
		if err != nil || tk.Priority != "urgent" {
			t.Fatalf("priority: %+v %v", tk, err)
		}
		if _, err := f.s.SetPriority(f.ctx, f.p, 1, alice, "asap"); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("bad priority: %v", err)
		}
		tk, err = f.s.Retag(f.ctx, f.p, 1, alice, []string{"VIP", "printer"}, nil)
		if err != nil || strings.Join(tk.Tags, ",") != "printer,vip" {
			t.Fatalf("tag: %+v %v", tk.Tags, err)
		}
		if tk, _ = f.s.Retag(f.ctx, f.p, 1, alice, nil, []string{"printer"}); strings.Join(tk.Tags, ",") != "vip" {
			t.Fatalf("untag: %v", tk.Tags)
		}
		if _, err := f.s.Retag(f.ctx, f.p, 1, alice, []string{"two words"}, nil); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("bad tag: %v", err)
		}
		if _, err := f.s.Note(f.ctx, f.p, 1, alice, tickets.Outgoing{Text: "internal"}, tickets.NewMessageID("desk.example")); err != nil {
			t.Fatal(err)
		}
		if rec.kinds[len(rec.kinds)-1] != tickets.ChangeAgentNote {
			t.Fatalf("note reported as %v", rec.kinds)
		}
		dt, _ := f.s.Detail(f.ctx, f.p.ID, 1)
		if last := dt.Messages[len(dt.Messages)-1]; last.Direction != tickets.DirectionNote || last.Text != "internal" {
			t.Fatalf("note stored as %+v", last)
		}
		// Another property's agent and number: not found.
		other, _ := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: "other", Name: "Other"})
		if _, err := f.s.SetPriority(f.ctx, other, 1, alice, "low"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("cross-property priority: %v", err)
		}
		kinds := map[string]bool{}
		for _, e := range dt.Events {
			kinds[e.Kind] = e.Actor == "agent:alice@acme.example" || kinds[e.Kind]
		}
		for _, k := range []string{"priority", "tagged", "untagged", "noted"} {
			if !kinds[k] {
				t.Errorf("no %s event by alice: %+v", k, dt.Events)
			}
		}
	})
}

func TestSnoozeWakesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		alice, _ := f.s.AddAgent(f.ctx, f.p.ID, "alice@acme.example", "Alice", "support")
		f.deliver(t, customerMail("m1@customer", "One"))
		f.deliver(t, customerMail("m2@customer", "Two"))
		if _, err := f.s.Snooze(f.ctx, f.p, 1, alice, f.clk.Now().Add(-time.Minute)); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("snooze into the past: %v", err)
		}
		if _, err := f.s.Snooze(f.ctx, f.p, 1, alice, f.clk.Now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// A snoozed ticket that was closed comes back open.
		f.s.Close(f.ctx, f.p.ID, 2, "agent:alice@acme.example")
		if _, err := f.s.Snooze(f.ctx, f.p, 2, alice, f.clk.Now().Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if w, err := f.s.WakeSnoozed(f.ctx); err != nil || len(w) != 0 {
			t.Fatalf("woke early: %v %v", w, err)
		}
		f.clk.Advance(2 * time.Hour)
		w, err := f.s.WakeSnoozed(f.ctx)
		if err != nil || len(w) != 1 || w[0].Number != 1 {
			t.Fatalf("at 2h: %+v %v", w, err)
		}
		f.clk.Advance(2 * time.Hour)
		// Two instances at once: each ticket wakes exactly once.
		res := make(chan []tickets.Woken, 2)
		for range 2 {
			go func() {
				w, err := f.s.WakeSnoozed(f.ctx)
				if err != nil {
					t.Error(err)
				}
				res <- w
			}()
		}
		a, b := <-res, <-res
		if len(a)+len(b) != 1 {
			t.Fatalf("woke %d times: %+v %+v", len(a)+len(b), a, b)
		}
		tk, _ := f.s.Ticket(f.ctx, f.p.ID, 2)
		if tk.Status != tickets.StatusOpen {
			t.Fatalf("woken ticket is %s", tk.Status)
		}
		dt, _ := f.s.Detail(f.ctx, f.p.ID, 2)
		woke := 0
		for _, e := range dt.Events {
			if e.Kind == "woke" {
				woke++
			}
		}
		if woke != 1 {
			t.Fatalf("woke events: %d", woke)
		}
	})
}
