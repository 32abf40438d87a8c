package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// A rated ticket says so in the list, which filters on it, and in the ticket with its comment;
// the summary counts a property's ratings, since a time; another property's sees none of them.
func TestRatingsShowOnTicketsFilterTheListAndCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		ctx := context.Background()
		n1 := e.customer(e.acme, "ann@example.org", "Printer", "on fire")
		e.customer(e.acme, "bob@example.org", "Toner", "empty")
		tk, err := e.store.Close(ctx, e.acme.ID, n1, tickets.ActorCLI)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Rate(ctx, tickets.NewRating{PropertyID: e.acme.ID, TicketID: tk.ID, ClosedAt: *tk.ClosedAt, Rating: "bad", Comment: "Too slow"}); err != nil {
			t.Fatal(err)
		}
		var page struct {
			Tickets []struct {
				Number int64   `json:"number"`
				Rating *string `json:"rating"`
			} `json:"tickets"`
		}
		e.as("support", "GET", "/tickets?rating=bad", nil).want(t, 200, "").decode(t, &page)
		if len(page.Tickets) != 1 || page.Tickets[0].Number != n1 || page.Tickets[0].Rating == nil || *page.Tickets[0].Rating != "bad" {
			t.Fatalf("rating=bad: %+v", page.Tickets)
		}
		e.as("support", "GET", "/tickets?rating=none", nil).want(t, 200, "").decode(t, &page)
		if len(page.Tickets) != 1 || page.Tickets[0].Number == n1 || page.Tickets[0].Rating != nil {
			t.Fatalf("rating=none: %+v", page.Tickets)
		}
		e.as("support", "GET", "/tickets?rating=good", nil).want(t, 200, "").decode(t, &page)
		if len(page.Tickets) != 0 {
			t.Fatalf("rating=good: %+v", page.Tickets)
		}
		e.as("support", "GET", "/tickets?rating=great", nil).want(t, 400, "rating")
		var one struct {
			Rating       *string `json:"rating"`
			RatingDetail *struct {
				Rating, Comment, Customer string
			} `json:"rating_detail"`
		}
		e.as("support", "GET", "/tickets/1", nil).want(t, 200, "").decode(t, &one)
		if one.Rating == nil || *one.Rating != "bad" || one.RatingDetail == nil || one.RatingDetail.Comment != "Too slow" || one.RatingDetail.Customer != "ann@example.org" {
			t.Fatalf("the ticket: %+v %+v", one.Rating, one.RatingDetail)
		}
		var sum tickets.RatingSummary
		e.as("support", "GET", "/ratings", nil).want(t, 200, "").decode(t, &sum)
		if sum.Bad != 1 || sum.Total != 1 || sum.GoodShare != 0 || sum.Since != nil {
			t.Fatalf("summary: %+v", sum)
		}
		e.as("support", "GET", "/ratings?since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), nil).want(t, 200, "").decode(t, &sum)
		if sum.Total != 0 || sum.Since == nil {
			t.Fatalf("summary since later: %+v", sum)
		}
		e.as("support", "GET", "/ratings?since=yesterday", nil).want(t, 400, "since")
		e.as("support", "GET", "/ratings?from=2026-01-01", nil).want(t, 400, "from")
		e.do("GET", "/api/v1/properties/beta/ratings", e.token["beta"], nil).want(t, 200, "").decode(t, &sum)
		if sum.Total != 0 {
			t.Fatalf("beta's summary: %+v", sum)
		}
	})
}
