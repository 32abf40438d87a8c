package tickets_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// A ticket has one rating: the first is logged as "rated", a change of choice as
// "rating-changed", a comment alone nothing; the lists show it and filter on it.
func TestATicketHasOneRatingChangedInPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		del := f.deliver(t, customerMail("m1@customer", "Printer on fire"))
		f.deliver(t, customerMail("m2@customer", "Another"))
		closed, err := f.s.Close(f.ctx, f.p.ID, 1, tickets.ActorCLI)
		if err != nil {
			t.Fatal(err)
		}
		rate := func(choice, comment string) (tickets.RatingTarget, error) {
			return f.s.Rate(f.ctx, tickets.NewRating{PropertyID: f.p.ID, TicketID: del.TicketID, ClosedAt: *closed.ClosedAt, Rating: choice, Comment: comment})
		}
		if _, err := rate("great", ""); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("an unknown choice: %v", err)
		}
		f.clk.Advance(time.Hour)
		first := f.s.Now()
		if r, err := rate("bad", ""); err != nil || r.Rating.Rating != "bad" || r.Number != 1 {
			t.Fatalf("first rating: %+v %v", r, err)
		}
		f.clk.Advance(time.Hour)
		if _, err := rate("bad", "  slow\r\nbut ok\x07 "); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Hour)
		if _, err := rate("good", "slow\nbut ok"); err != nil {
			t.Fatal(err)
		}
		det, err := f.s.Detail(f.ctx, f.p.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		r := det.RatingDetail
		if r == nil || r.Rating != "good" || r.Comment != "slow\nbut ok" || r.Customer != "ann@customer.example" ||
			!r.RatedAt.Equal(first) || !r.ChangedAt.Equal(f.s.Now()) || !r.ClosedAt.Equal(*closed.ClosedAt) || det.Rating == nil || *det.Rating != "good" {
			t.Fatalf("rating: %+v (ticket's %v)", r, det.Rating)
		}
		var events []string
		for _, e := range det.Events {
			if e.Kind == "rated" || e.Kind == "rating-changed" {
				events = append(events, e.Kind+": "+e.Detail+" by "+e.Actor)
			}
		}
		if len(events) != 2 || events[0] != "rated: bad by customer:ann@customer.example" || events[1] != "rating-changed: bad → good by customer:ann@customer.example" {
			t.Fatalf("events: %q", events)
		}
		for filter, want := range map[string][]int64{"good": {1}, "bad": nil, "none": {2}, "": {2, 1}} {
			q, err := tickets.ParseQuery(url.Values{"rating": {filter}}, "", true)
			if err != nil {
				t.Fatal(err)
			}
			page, err := f.s.Search(f.ctx, f.p.ID, 0, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, it := range page.Tickets {
				got = append(got, it.Number)
				if (it.Number == 1) != (it.Rating != nil) {
					t.Errorf("#%d in the list: rating %v", it.Number, it.Rating)
				}
			}
			if len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
				t.Errorf("rating=%s: %v, want %v", filter, got, want)
			}
			ls, err := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{Rating: filter})
			if err != nil || len(ls) != len(want) {
				t.Errorf("List rating=%s: %d tickets, %v; want %v", filter, len(ls), err, want)
			}
		}
		if _, err := tickets.ParseQuery(url.Values{"rating": {"great"}}, "", true); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("rating=great: %v", err)
		}
		sum, err := f.s.RatingSummary(f.ctx, f.p.ID, time.Time{})
		if err != nil || sum.Good != 1 || sum.Total != 1 || sum.GoodShare != 1 || sum.Since != nil {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		if sum, err := f.s.RatingSummary(f.ctx, f.p.ID, f.s.Now().Add(time.Minute)); err != nil || sum.Total != 0 || sum.Since == nil {
			t.Fatalf("summary since later: %+v %v", sum, err)
		}
	})
}

// A ticket closed again is rated for the new close; a link of the earlier close then changes
// nothing. Another property's ticket, or one in the trash, is not found.
func TestARatingIsForTheLatestCloseAndTheTicketsProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		del := f.deliver(t, customerMail("m1@customer", "Printer on fire"))
		c1, err := f.s.Close(f.ctx, f.p.ID, 1, tickets.ActorCLI)
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Hour)
		f.s.Reopen(f.ctx, f.p.ID, 1, tickets.ActorCLI)
		c2, err := f.s.Close(f.ctx, f.p.ID, 1, tickets.ActorCLI)
		if err != nil {
			t.Fatal(err)
		}
		rate := func(propertyID int64, at time.Time, choice string) error {
			_, err := f.s.Rate(f.ctx, tickets.NewRating{PropertyID: propertyID, TicketID: del.TicketID, ClosedAt: at, Rating: choice})
			return err
		}
		if err := rate(f.p.ID, *c2.ClosedAt, "okay"); err != nil {
			t.Fatal(err)
		}
		if err := rate(f.p.ID, *c1.ClosedAt, "bad"); !errors.Is(err, tickets.ErrRatingStale) {
			t.Fatalf("a link of the earlier close: %v", err)
		}
		other, err := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: "other", Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		if err := rate(other.ID, *c2.ClosedAt, "bad"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("through another property: %v", err)
		}
		det, _ := f.s.Detail(f.ctx, f.p.ID, 1)
		if det.RatingDetail == nil || det.RatingDetail.Rating != "okay" {
			t.Fatalf("rating: %+v", det.RatingDetail)
		}
		if _, err := f.s.Trash(f.ctx, f.p, 1, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		if err := rate(f.p.ID, *c2.ClosedAt, "bad"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("in the trash: %v", err)
		}
		// A purge takes the rating with the ticket.
		if err := f.s.Purge(f.ctx, f.p, 1, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		if sum, err := f.s.RatingSummary(f.ctx, f.p.ID, time.Time{}); err != nil || sum.Total != 0 {
			t.Fatalf("after the purge: %+v %v", sum, err)
		}
	})
}
