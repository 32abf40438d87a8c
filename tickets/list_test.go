package tickets_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Every branch of List's query (built on the ticket-list-base statement): each status, with and
// without a limit.
func TestListFiltersByStatusAndLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		for i, id := range []string{"l1@customer.example", "l2@customer.example", "l3@customer.example"} {
			e.mail(t, e.a, "ann@customer.example", id, "Question "+string(rune('A'+i)))
			e.clk.Advance(time.Second)
		}
		e.mail(t, e.b, "ann@customer.example", "l4@customer.example", "Elsewhere")
		if _, err := e.s.Close(e.ctx, e.a.ID, 2, tickets.AgentActor(e.alice)); err != nil {
			t.Fatal(err)
		}
		numbers := func(f tickets.ListFilter) []int64 {
			t.Helper()
			ts, err := e.s.List(e.ctx, e.a.ID, f)
			if err != nil {
				t.Fatalf("list %+v: %v", f, err)
			}
			var ns []int64
			for _, tk := range ts {
				ns = append(ns, tk.Number)
			}
			return ns
		}
		for _, c := range []struct {
			f    tickets.ListFilter
			want []int64
		}{
			{tickets.ListFilter{}, []int64{2, 3, 1}}, // most recently updated first: closing #2 moved it up
			{tickets.ListFilter{Status: "all"}, []int64{2, 3, 1}},
			{tickets.ListFilter{Status: "open"}, []int64{3, 1}},
			{tickets.ListFilter{Status: "closed"}, []int64{2}},
			{tickets.ListFilter{Limit: 2}, []int64{2, 3}},
			{tickets.ListFilter{Status: "open", Limit: 1}, []int64{3}},
		} {
			if got := numbers(c.f); !slices.Equal(got, c.want) {
				t.Errorf("list %+v = %v, want %v", c.f, got, c.want)
			}
		}
		if _, err := e.s.List(e.ctx, e.a.ID, tickets.ListFilter{Status: "snoozed"}); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("an unknown status: %v", err)
		}
	})
}
