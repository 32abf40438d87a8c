package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/outbox"
)

// A holder that renews keeps its rows past the first lease; once it stops (it was killed) the
// rows are recovered a lease after its last renewal: queued again before the end of DATA,
// uncertain after it. Its renewals after that touch nothing, not even the row's newer claim.
func TestRenewKeepsTheLeaseUntilTheHolderStops(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		if e.q.Lease != outbox.DefaultLease || outbox.DefaultLease > 15*time.Second {
			t.Fatalf("lease %s, default %s: a killed instance's mail would wait longer than 30 s", e.q.Lease, outbox.DefaultLease)
		}
		sending := e.enqueue(t, e.mail("a@desk.example"))
		data := e.enqueue(t, e.mail("b@desk.example"))
		held, err := e.q.Claim(ctx, 10)
		if err != nil || len(held) != 2 {
			t.Fatalf("claim: %v %v", held, err)
		}
		for _, m := range held {
			if m.ID == data {
				if err := e.q.MarkData(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Two renewals, each within the lease: the rows are held well past the first lease.
		for range 2 {
			e.clk.Advance(e.q.Lease * 2 / 3)
			if lost, err := e.q.Renew(ctx, held); err != nil || len(lost) != 0 {
				t.Fatalf("renew: lost %v (%v)", lost, err)
			}
			if r, u, err := e.q.Recover(ctx); err != nil || r+u != 0 {
				t.Fatalf("recovered %d, %d (%v) from a holder that renews", r, u, err)
			}
		}
		// The holder stops renewing: a lease later, the rows are another instance's.
		e.clk.Advance(e.q.Lease - time.Second)
		if r, u, err := e.q.Recover(ctx); err != nil || r+u != 0 {
			t.Fatalf("recovered %d, %d (%v) before the lease ran out", r, u, err)
		}
		e.clk.Advance(2 * time.Second)
		if r, u, err := e.q.Recover(ctx); err != nil || r != 1 || u != 1 {
			t.Fatalf("recovered %d requeued, %d uncertain (%v); want 1, 1", r, u, err)
		}
		if got := e.status(t, data); got.Status != outbox.Uncertain {
			t.Fatalf("the row in DATA: %+v, want uncertain (never resent)", got)
		}
		fresh := e.claimOne(t)
		if fresh.ID != sending || fresh.Attempts != 2 {
			t.Fatalf("claimed again: %+v", fresh)
		}
		// The old holder's heartbeat (it was only stalled) finds none of its rows.
		lost, err := e.q.Renew(ctx, held)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(lost)
		if !slices.Equal(lost, []int64{sending, data}) {
			t.Fatalf("lost %v, want both rows", lost)
		}
		// It did not extend the newer claim either: that one runs out a lease after its claim.
		e.clk.Advance(e.q.Lease + time.Second)
		if r, _, err := e.q.Recover(ctx); err != nil || r != 1 {
			t.Fatalf("the newer claim was not recovered after its lease: %d (%v)", r, err)
		}
		if got := e.status(t, data); got.Status != outbox.Uncertain || got.Attempts != 1 {
			t.Fatalf("the uncertain row changed: %+v", got)
		}
	})
}

// A row settled while its renewal was on the way is reported lost, and keeps its state.
func TestRenewLeavesSettledRowsAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		id := e.enqueue(t, e.mail("a@desk.example"))
		m := e.claimOne(t)
		if err := e.q.MarkData(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := e.q.MarkSent(ctx, m, nil); err != nil {
			t.Fatal(err)
		}
		if lost, err := e.q.Renew(ctx, []outbox.Mail{m}); err != nil || !slices.Equal(lost, []int64{id}) {
			t.Fatalf("renew of a sent row: lost %v (%v)", lost, err)
		}
		if got := e.status(t, id); got.Status != outbox.Sent {
			t.Fatalf("after renew: %+v", got)
		}
	})
}
