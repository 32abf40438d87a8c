package tickets_test

import (
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// An address, a host name or an order number with a dash is found by any of its words, on both
// engines alike (PostgreSQL's parser would keep each as one word; FTS5 splits them).
func TestSearchFindsPartsOfAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := customerMail("m1@customer", "Order ORD-4711 via shop.example.net")
		in.Text = "Please write to billing@acme-corp.example about it."
		f.deliver(t, in)
		drainSearch(t, f.s)
		for _, q := range []string{"billing", "acme", "corp", "billing@acme-corp.example", "4711", "ORD-4711", "shop", "net", "shop.example.net"} {
			page, err := f.s.Search(f.ctx, f.p.ID, 0, tickets.Query{Text: q})
			if err != nil || len(page.Tickets) != 1 {
				t.Errorf("search %q: %d tickets, %v", q, len(page.Tickets), err)
			}
		}
		if page, err := f.s.Search(f.ctx, f.p.ID, 0, tickets.Query{Text: "billingacme"}); err != nil || len(page.Tickets) != 0 {
			t.Errorf("glued words matched: %v %v", page.Tickets, err)
		}
	})
}
