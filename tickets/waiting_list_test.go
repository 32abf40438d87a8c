package tickets_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// The waiting filter and sort of the lists (the list views' are in search_test.go), and the
// backfill of migration 0021.

func TestWaitingParameters(t *testing.T) {
	for _, c := range []struct {
		query, field string
		want         tickets.Query
	}{
		{"waiting=us&sort=waiting", "", tickets.Query{Waiting: "us", Sort: "waiting"}},
		{"waiting=customer&sort=waiting&order=asc", "", tickets.Query{Waiting: "customer", Sort: "waiting", Asc: true}},
		{"waiting=", "", tickets.Query{}},
		{"waiting=nobody", "waiting", tickets.Query{}},
		{"waiting=us&waiting=customer", "waiting", tickets.Query{}},
		{"waiting=US", "waiting", tickets.Query{}},
	} {
		v, _ := url.ParseQuery(c.query)
		q, err := tickets.ParseQuery(v, "alice@acme.example", true)
		var pe *tickets.ParamError
		switch {
		case c.field != "" && (!errors.As(err, &pe) || pe.Field != c.field):
			t.Errorf("%s: %v, want a refusal of %s", c.query, err, c.field)
		case c.field == "" && (err != nil || q.Waiting != c.want.Waiting || q.Sort != c.want.Sort || q.Asc != c.want.Asc):
			t.Errorf("%s: %+v, %v", c.query, q, err)
		}
	}
}

// The command line's list: tickets waiting for us, the longest waiting first.
func TestListByWaiting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		var nums []int64
		for i, from := range []string{"ann", "bob", "cy", "di"} {
			nums = append(nums, w.mail(t, w.p, from+"1@customer.example", from+"@customer.example", "Question", "?").TicketNumber)
			if i < 2 {
				w.clk.Advance(time.Minute) // cy and di asked at the same time: the older ticket first
			}
		}
		w.clk.Advance(time.Minute)
		w.reply(t, nums[0], "r1@acme.example") // ann answered: waiting for her
		w.clk.Advance(time.Minute)
		w.mail(t, w.p, "bob2@customer.example", "bob@customer.example", "Re: Question", "??", "bob1@customer.example")
		if _, err := w.s.Close(w.ctx, w.p.ID, nums[3], tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		list := func(f tickets.ListFilter) []int64 {
			t.Helper()
			ts, err := w.s.List(w.ctx, w.p.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, tk := range ts {
				out = append(out, tk.Number)
			}
			return out
		}
		if got, want := list(tickets.ListFilter{Waiting: tickets.WaitingUs, Sort: "waiting"}), []int64{nums[1], nums[2]}; !slices.Equal(got, want) {
			t.Errorf("waiting for us, longest first: %v, want %v", got, want)
		}
		if got, want := list(tickets.ListFilter{Sort: "waiting"}), []int64{nums[1], nums[2], nums[0], nums[3]}; !slices.Equal(got, want) {
			t.Errorf("by waiting: %v, want %v", got, want)
		}
		if got, want := list(tickets.ListFilter{Waiting: tickets.WaitingCustomer}), []int64{nums[0]}; !slices.Equal(got, want) {
			t.Errorf("waiting for the customer: %v, want %v", got, want)
		}
		// An export says it too.
		ex, err := w.s.Export(w.ctx, w.p, []int64{nums[0], nums[1], nums[3]})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.Tickets) != 3 || !ex.Tickets[0].WaitingForCustomer() || ex.Tickets[0].FirstResponseAt == nil ||
			!ex.Tickets[1].WaitingForUs() || ex.Tickets[2].Waiting != nil {
			t.Errorf("the export: %+v", ex.Tickets)
		}
		for _, f := range []tickets.ListFilter{{Waiting: "nobody"}, {Sort: "priority"}} {
			if _, err := w.s.List(w.ctx, w.p.ID, f); !errors.Is(err, tickets.ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", f, err)
			}
		}
	})
}

// Migration 0021 fills the columns of the tickets a database already holds, by the rule itself.
func TestWaitingMigrationBackfills(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		src, err := os.ReadFile("../db/migrations/0021_waiting." + string(d.Dialect) + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		backfill := string(src[strings.Index(string(src), "WITH tk AS"):])
		backfill = backfill[:strings.Index(backfill, ";")]
		w := swNew(t, d)
		// The backfill is the rule over every ticket. (A change to the rule needs a migration
		// that runs it again, as stored values follow the rule they were settled by.)
		rule := strings.Replace(tickets.WaitingRule(w.s), "WHERE t.id = ?", "", 1)
		if strings.Join(strings.Fields(rule), " ") != strings.Join(strings.Fields(backfill), " ") {
			t.Fatalf("the backfill of 0021 is not ticket-settle-waiting over every ticket:\n%s\n---\n%s", backfill, rule)
		}
		// Tickets in every state the rule tells apart.
		us := w.mail(t, w.p, "m1@customer.example", "ann@customer.example", "Waiting for us", "?").TicketNumber
		w.clk.Advance(time.Hour)
		them := w.mail(t, w.p, "m2@customer.example", "bob@customer.example", "Answered", "?").TicketNumber
		w.clk.Advance(time.Hour)
		w.reply(t, them, "r2@acme.example")
		w.clk.Advance(time.Hour)
		again := w.mail(t, w.p, "m3@customer.example", "cy@customer.example", "Answered, asked again", "?").TicketNumber
		w.reply(t, again, "r3@acme.example")
		w.clk.Advance(time.Hour)
		w.mail(t, w.p, "m4@customer.example", "cy@customer.example", "Re: Answered, asked again", "and?", "r3@acme.example")
		if _, err := w.s.Note(w.ctx, w.p, us, w.bob, tickets.Outgoing{Text: "hm"}, "n1@acme.example"); err != nil {
			t.Fatal(err)
		}
		closed := w.mail(t, w.p, "m5@customer.example", "di@customer.example", "Closed", "?").TicketNumber
		w.reply(t, closed, "r5@acme.example")
		w.clk.Advance(time.Hour)
		if _, err := w.s.Close(w.ctx, w.p.ID, closed, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		reopened := w.mail(t, w.p, "m6@customer.example", "ed@customer.example", "Reopened", "?").TicketNumber
		for _, set := range []func(context.Context, int64, int64, tickets.Actor) (tickets.Ticket, error){w.s.Close, w.s.Reopen} {
			w.clk.Advance(time.Hour)
			if _, err := set(w.ctx, w.p.ID, reopened, tickets.ActorCLI); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.s.CreateTicket(w.ctx, w.p, w.alice, tickets.NewTicket{Customer: tickets.Address{Email: "fay@customer.example"},
			Subject: "Opened by us", Outgoing: tickets.Outgoing{Text: "Hello"}}, "o1@acme.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Merge(w.ctx, w.p, them, us, tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		w.mail(t, w.other, "g1@customer.example", "gus@customer.example", "The other property", "?")

		type row struct {
			ID    int64      `db:"id"`
			Side  *string    `db:"waiting"`
			Since *time.Time `db:"waiting_since"`
			First *time.Time `db:"first_response_at"`
		}
		read := func() []row {
			var rs []row
			if err := d.SelectContext(w.ctx, &rs, `SELECT id, waiting, waiting_since, first_response_at FROM tickets ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			return rs
		}
		settled := read()
		sides := map[string]int{}
		for _, r := range settled {
			if r.Side == nil {
				sides[""]++
			} else {
				sides[*r.Side]++
			}
		}
		if sides[""] < 2 || sides[tickets.WaitingUs] < 2 || sides[tickets.WaitingCustomer] < 2 {
			t.Fatalf("the tickets wait for %v: not every state is there to backfill", sides)
		}

		w.rollBackAfterWaiting(t)
		w.rollBackWaiting(t)
		w.exec(t, `UPDATE schema_version SET version = 20`)
		if err := d.Migrate(w.ctx); err != nil {
			t.Fatal(err)
		}
		backfilled := read()
		if !slices.EqualFunc(settled, backfilled, func(a, b row) bool {
			eq := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
			return a.ID == b.ID && (a.Side == nil) == (b.Side == nil) && (a.Side == nil || *a.Side == *b.Side) && eq(a.Since, b.Since) && eq(a.First, b.First)
		}) {
			for i := range settled {
				t.Logf("settled %+v, backfilled %+v", settled[i], backfilled[i])
			}
			t.Fatal("the backfill differs from what the changes settled")
		}
	})
}
