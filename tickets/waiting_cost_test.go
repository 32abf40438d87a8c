package tickets_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// The cost of settling a long ticket: the rule reads the ticket's index entries (messages_waiting),
// never its message rows, whose raw mail and bodies SQLite keeps before created_at (overflow
// pages). The plan is checked on SQLite; the time is logged, not asserted (go test -v -run
// TestWaitingSettleCost).
func TestWaitingSettleCost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		n := w.mail(t, w.p, "long@customer.example", "ann@customer.example", "A long ticket", "?").TicketNumber
		tk, err := w.s.Ticket(w.ctx, w.p.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		// 4000 more messages, a reply and a follow-up in turn, each with 8 KiB of mail.
		const more = 4000
		big := bytes.Repeat([]byte("x"), 8<<10)
		w.exec(t, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < `+"4000"+`)
			INSERT INTO messages (property_id, ticket_id, direction, kind, contact_id, message_id, dedup_key, text_body, raw, raw_size, created_at)
			SELECT m.property_id, m.ticket_id, CASE WHEN n.i % 2 = 0 THEN 'in' ELSE 'out' END, 'human',
				CASE WHEN n.i % 2 = 0 THEN m.contact_id END, 'gen' || n.i, 'gen' || n.i, ?, ?, 8192, m.created_at
			FROM messages m, n WHERE m.ticket_id = ?`, string(big), big, tk.ID)
		// And 20000 short messages on another ticket, so that the table is not the long ticket's.
		other := w.mail(t, w.p, "other@customer.example", "bob@customer.example", "Another ticket", "?").TicketNumber
		ot, err := w.s.Ticket(w.ctx, w.p.ID, other)
		if err != nil {
			t.Fatal(err)
		}
		w.exec(t, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
			INSERT INTO messages (property_id, ticket_id, direction, kind, contact_id, message_id, dedup_key, created_at)
			SELECT m.property_id, m.ticket_id, 'in', 'human', m.contact_id, 'other' || n.i, 'other' || n.i, m.created_at
			FROM messages m, n WHERE m.ticket_id = ?`, ot.ID)
		if d.Dialect == db.SQLite {
			w.exec(t, `ANALYZE`)
			plan := explain(t, w, tk.ID)
			t.Logf("plan:\n%s", plan)
			if !strings.Contains(plan, "COVERING INDEX messages_waiting") || strings.Contains(plan, "SCAN m\n") {
				t.Errorf("the rule reads message rows:\n%s", plan)
			}
		} else {
			w.exec(t, `VACUUM ANALYZE messages`) // as autovacuum would: the visibility map lets it read the index only
			t.Logf("plan:\n%s", explain(t, w, tk.ID))
		}
		const runs = 20
		start := time.Now()
		for range runs {
			if err := tickets.SettleWaiting(w.ctx, w.s, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: settling a ticket of %d messages: %s each", d.Dialect, more+1, time.Since(start)/runs)
		got := w.waiting(t, w.p, n)
		wantWaiting(t, "the long ticket", got, tickets.WaitingUs, time.Time{})
	})
}

// explain is the plan of the rule over ticket id.
func explain(t *testing.T, w *swWorld, id int64) string {
	t.Helper()
	q := "EXPLAIN QUERY PLAN " + tickets.WaitingRule(w.s)
	if w.d.Dialect == db.Postgres {
		q = "EXPLAIN (ANALYZE, BUFFERS) " + tickets.WaitingRule(w.s)
	}
	rows, err := w.d.QueryContext(w.ctx, w.d.Rebind(q), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		b.WriteString(fmtAny(vals[len(vals)-1]) + "\n")
	}
	return b.String()
}

func fmtAny(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
