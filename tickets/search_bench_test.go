package tickets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Helpers of the search tests (search_test.go).

// bulk adds n messages saying text to one of the tickets.
func (w *swWorld) bulk(t *testing.T, ids map[int64]bool, text string, n int) {
	t.Helper()
	var id int64
	for id = range ids {
		break
	}
	err := w.d.Tx(w.ctx, func(tx *sqlx.Tx) error {
		for i := range n {
			key := fmt.Sprintf("bulk-%d-%s@customer.example", i, strings.Fields(text)[0])
			if _, err := tx.ExecContext(w.ctx, tx.Rebind(`INSERT INTO messages (property_id, ticket_id, direction, subject, message_id, dedup_key, text_body, created_at)
				SELECT property_id, id, 'in', 'Re', ?, ?, ?, ? FROM tickets WHERE id = ?`), key, key, text, w.clk.Now(), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *swWorld) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := w.d.ExecContext(w.ctx, w.d.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (w *swWorld) assign(t *testing.T, num int64, target string) {
	t.Helper()
	if _, err := w.s.Assign(w.ctx, w.p, num, tickets.Agent{Email: "alice@acme.example"}, target); err != nil {
		t.Fatal(err)
	}
}

// subject reads a ticket's subject in lower case (for the model of the text filter).
func (w *swWorld) subject(t *testing.T, number int64) string {
	t.Helper()
	var s string
	if err := w.d.GetContext(w.ctx, &s, w.d.Rebind(`SELECT subject FROM tickets WHERE property_id = ? AND number = ?`), w.p.ID, number); err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(s)
}

// walk reads every page of q and returns the ticket numbers in order, failing on a repeated
// ticket, a ticket of the other property, or a page longer than the limit.
func (w *swWorld) walk(t *testing.T, viewer int64, q tickets.Query) []int64 {
	t.Helper()
	nums := []int64{}
	seen := map[int64]bool{}
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatalf("%+v: more than 200 pages", q)
		}
		p, err := w.s.Search(w.ctx, w.p.ID, viewer, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if q.Limit > 0 && len(p.Tickets) > q.Limit {
			t.Fatalf("%+v: page of %d", q, len(p.Tickets))
		}
		for _, it := range p.Tickets {
			if w.otherIDs[it.ID] || it.PropertyID != w.p.ID {
				t.Fatalf("%+v: ticket %d of another property", q, it.ID)
			}
			if seen[it.Number] {
				t.Fatalf("%+v: ticket #%d twice", q, it.Number)
			}
			seen[it.Number] = true
			nums = append(nums, it.Number)
		}
		if p.Next == "" {
			return nums
		}
		if len(p.Tickets) == 0 {
			t.Fatalf("%+v: empty page with a next cursor", q)
		}
		q.After = p.Next
	}
}

// BenchmarkSearch measures the list query on a small property (2000 tickets, 6000 messages) per
// engine; cmd/postdesk-bench measures it on 100000 tickets.
func BenchmarkSearch(b *testing.B) {
	for _, e := range dbtest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			d := dbtest.Open(b, e)
			s := tickets.New(d)
			ctx := context.Background()
			p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "bench", Name: "Bench"})
			if err != nil {
				b.Fatal(err)
			}
			a, err := s.AddAgent(ctx, p.ID, "agent@bench.example", "Agent", "")
			if err != nil {
				b.Fatal(err)
			}
			if err := benchFill(ctx, d, p.ID, a.ID, 2000); err != nil {
				b.Fatal(err)
			}
			if err := s.DrainSearchIndex(ctx); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				name string
				q    tickets.Query
			}{
				{"default", tickets.Query{}},
				{"mine", tickets.Query{View: "mine"}},
				{"priority", tickets.Query{Sort: "priority"}},
				{"text-common", tickets.Query{Text: "printer"}},
				{"text-rare", tickets.Query{Text: "word17"}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := s.Search(ctx, p.ID, a.ID, c.q); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func benchFill(ctx context.Context, d *db.DB, propertyID, agentID int64, n int) error {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := now.Add(time.Duration(i) * time.Minute)
		var agent *int64
		if i%3 == 0 {
			agent = &agentID
		}
		var id int64
		err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO tickets (property_id, number, subject, status, priority, assignee_agent_id,
			message_count, created_at, updated_at) VALUES (?, ?, ?, 'open', ?, ?, 3, ?, ?) RETURNING id`),
			propertyID, i+1, fmt.Sprintf("Printer problem %d", i), tickets.Priorities[i%4], agent, at, at)
		if err != nil {
			return err
		}
		for k := range 3 {
			key := fmt.Sprintf("m%d-%d", i, k)
			if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO messages (property_id, ticket_id, direction, subject, message_id, dedup_key,
				text_body, created_at) VALUES (?, ?, 'in', 'Re: printer', ?, ?, ?, ?)`),
				propertyID, id, key, key, fmt.Sprintf("the printer is on fire word%d", i*3+k), at); err != nil {
				return err
			}
		}
	}
	return nil
}
