package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/outbox"
)

// The loop breakers' counts: automatic mail to one recipient, and mail of one kind to one
// recipient, each queued after a time — and nothing else.
func TestRecentCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		start := e.clk.Now()
		auto := e.mail("a1@x") // automatic acknowledgement to ann
		e.enqueue(t, auto)
		human := e.mail("h1@x")
		human.Automatic = false
		e.enqueue(t, human)
		other := e.mail("o1@x")
		other.Rcpts = []string{"bob@customer.example"}
		e.enqueue(t, other)
		errMail := e.mail("e1@x")
		errMail.Kind, errMail.Rcpts = "command-error", []string{"agent@acme.example"}
		e.enqueue(t, errMail)
		e.clk.Advance(time.Minute)
		later := e.mail("a2@x")
		e.enqueue(t, later)

		count := func(f func(tx *sqlx.Tx) (int, error)) int {
			t.Helper()
			var n int
			if err := d.Tx(ctx, func(tx *sqlx.Tx) error {
				var err error
				n, err = f(tx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, c := range []struct {
			name  string
			since time.Time
			want  int
		}{{"all", start.Add(-time.Second), 2}, {"after the first", start, 1}, {"none yet", e.clk.Now(), 0}} {
			if n := count(func(tx *sqlx.Tx) (int, error) {
				return outbox.RecentAutomatic(ctx, d, tx, "ann@customer.example", c.since)
			}); n != c.want {
				t.Errorf("RecentAutomatic %s = %d, want %d", c.name, n, c.want)
			}
		}
		if n := count(func(tx *sqlx.Tx) (int, error) {
			return outbox.RecentOfKind(ctx, d, tx, "command-error", "agent@acme.example", start.Add(-time.Second))
		}); n != 1 {
			t.Errorf("RecentOfKind command-error = %d, want 1", n)
		}
		if n := count(func(tx *sqlx.Tx) (int, error) {
			return outbox.RecentOfKind(ctx, d, tx, "command-error", "ann@customer.example", start.Add(-time.Second))
		}); n != 0 {
			t.Errorf("RecentOfKind command-error to another recipient = %d, want 0", n)
		}
		if n := count(func(tx *sqlx.Tx) (int, error) {
			return outbox.RecentOfKind(ctx, d, tx, "acknowledgement", "ann@customer.example", start.Add(-time.Second))
		}); n != 3 {
			t.Errorf("RecentOfKind acknowledgement = %d, want 3", n)
		}
	})
}
