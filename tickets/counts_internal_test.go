package tickets

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/dbtest"
)

// BenchmarkCountViews compares the one pass over the tickets (countViewsScan, the old CountViews)
// with the bucket sums, on a property of a few thousand tickets of every kind, after checking that
// both say the same.
func BenchmarkCountViews(b *testing.B) {
	const tickets = 4000
	for _, e := range dbtest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			d := dbtest.Open(b, e)
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			s := New(d, WithClock(func() time.Time { return now }))
			ctx := context.Background()
			p, err := s.CreateProperty(ctx, NewProperty{Slug: "acme", Name: "Acme"})
			if err != nil {
				b.Fatal(err)
			}
			var agents []int64
			for _, email := range []string{"alice@acme.example", "bob@acme.example", "carl@acme.example"} {
				a, err := s.AddAgent(ctx, p.ID, email, email, "")
				if err != nil {
					b.Fatal(err)
				}
				agents = append(agents, a.ID)
			}
			err = d.Tx(ctx, func(tx *sqlx.Tx) error {
				for i := range tickets {
					status := StatusOpen
					if i%3 == 0 {
						status = StatusClosed
					}
					var agent, snoozed, deleted any
					if i%4 != 0 {
						agent = agents[i%len(agents)]
					}
					switch {
					case i%17 == 1:
						snoozed = now.Add(time.Hour)
					case i%400 == 2:
						// Over, not woken: as many as end in the wake-up's 30 s at most.
						snoozed = now.Add(-time.Minute)
					case i%17 == 3:
						deleted = now
					}
					at := now.Add(-time.Duration(i) * time.Minute)
					if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO tickets (property_id, number, subject, status, assignee_agent_id,
						spam, snoozed_until, deleted_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
						p.ID, i+1, fmt.Sprintf("Ticket %d", i), status, agent, i%23 == 0, snoozed, deleted, at, at); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			scan, err := s.countViewsScan(ctx, p.ID, agents[0])
			if err != nil {
				b.Fatal(err)
			}
			sums, err := s.CountViews(ctx, p.ID, agents[0])
			if err != nil {
				b.Fatal(err)
			}
			if !maps.Equal(scan, sums) {
				b.Fatalf("the scan counts %v, the buckets %v", scan, sums)
			}
			for _, c := range []struct {
				name  string
				count func(context.Context, int64, int64) (ViewCounts, error)
			}{{"scan", s.countViewsScan}, {"buckets", s.CountViews}} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := c.count(ctx, p.ID, agents[0]); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
