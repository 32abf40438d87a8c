package outbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/outbox"
)

// settle claims the only due row and settles it with f.
func (e *env) settle(t *testing.T, f func(outbox.Mail) error) outbox.Mail {
	t.Helper()
	m := e.claimOne(t)
	if err := f(m); err != nil {
		t.Fatal(err)
	}
	return m
}

// By hand: a failed row is queued again and claimed once more; an uncertain one only with force;
// a row being sent is neither retried nor dropped; each change is on the ticket's log.
func TestTheOutboxByHand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()

		failed := e.enqueue(t, e.mail("failed@desk.example"))
		e.settle(t, func(m outbox.Mail) error { return e.q.Fail(ctx, m, outbox.Sending, "550 no such user") })
		uncertain := e.enqueue(t, e.mail("uncertain@desk.example"))
		e.settle(t, func(m outbox.Mail) error {
			if err := e.q.MarkData(ctx, m); err != nil {
				return err
			}
			return e.q.MarkUncertain(ctx, m, errors.New("connection reset"))
		})
		sending := e.enqueue(t, e.mail("sending@desk.example"))
		e.claimOne(t) // left in flight
		queued := e.enqueue(t, e.mail("queued@desk.example"))

		list := func(filter string) []int64 {
			t.Helper()
			ms, err := e.q.List(ctx, filter, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, m := range ms {
				if len(m.Raw) != 0 {
					t.Errorf("List carries the bytes of mail %d", m.ID)
				}
				ids = append(ids, m.ID)
			}
			return ids
		}
		for filter, want := range map[string][]int64{
			"":                {queued, sending, uncertain, failed},
			outbox.Pending:    {queued, sending},
			outbox.Failed:     {failed},
			outbox.Uncertain:  {uncertain},
			outbox.Sent:       nil,
			outbox.Sending:    {sending},
			"all":             {queued, sending, uncertain, failed},
			outbox.Queued:     {queued},
			outbox.Data:       nil,
			"pending,failed!": nil, // refused below
		} {
			if filter == "pending,failed!" {
				if _, err := e.q.List(ctx, filter, 0); err == nil {
					t.Errorf("List(%q) accepted", filter)
				}
				continue
			}
			if got := list(filter); !equal(got, want) {
				t.Errorf("List(%q) = %v, want %v", filter, got, want)
			}
		}

		// An uncertain mail may have been delivered: not without force.
		if _, err := e.q.Requeue(ctx, uncertain, false); !errors.Is(err, outbox.ErrMayBeDelivered) {
			t.Fatalf("retry uncertain without force: %v", err)
		}
		if m := e.status(t, uncertain); m.Status != outbox.Uncertain {
			t.Fatalf("uncertain mail is %s after a refused retry", m.Status)
		}
		for _, id := range []int64{sending, queued} {
			if _, err := e.q.Requeue(ctx, id, true); !errors.Is(err, outbox.ErrNotRetriable) {
				t.Errorf("retry of mail %d (%s): %v", id, e.status(t, id).Status, err)
			}
		}
		if _, err := e.q.Requeue(ctx, 99999, false); !errors.Is(err, outbox.ErrNoMail) {
			t.Errorf("retry of a missing mail: %v", err)
		}

		// Retry a failed mail: due now, claimed again with its attempts counting on.
		if _, err := e.q.Requeue(ctx, failed, false); err != nil {
			t.Fatal(err)
		}
		m := e.status(t, failed)
		if m.Status != outbox.Queued || !m.NextAttemptAt.Equal(e.clk.Now()) {
			t.Fatalf("retried mail: %+v", m)
		}
		if _, err := e.q.Drop(ctx, queued); err != nil { // so that the claim below takes the retried one
			t.Fatal(err)
		}
		if c := e.claimOne(t); c.ID != failed || c.Attempts != 2 {
			t.Fatalf("claimed %d at attempt %d, want %d at 2", c.ID, c.Attempts, failed)
		}
		if n := len(e.events(t, "mail-requeued")); n != 1 {
			t.Fatalf("%d mail-requeued events, want 1", n)
		}

		// With force, the uncertain one goes again.
		if _, err := e.q.Requeue(ctx, uncertain, true); err != nil {
			t.Fatal(err)
		}
		if m := e.status(t, uncertain); m.Status != outbox.Queued {
			t.Fatalf("forced retry left it %s", m.Status)
		}

		// Never drop a row being sent.
		if _, err := e.q.Drop(ctx, sending); !errors.Is(err, outbox.ErrInFlight) {
			t.Fatalf("drop of a row being sent: %v", err)
		}
		if _, err := e.q.Drop(ctx, uncertain); err != nil {
			t.Fatal(err)
		}
		if _, err := e.q.Get(ctx, uncertain); err == nil {
			t.Fatal("a dropped row is still there")
		}
		if _, err := e.q.Drop(ctx, uncertain); !errors.Is(err, outbox.ErrNoMail) {
			t.Fatalf("second drop: %v", err)
		}
		if n := len(e.events(t, "mail-dropped")); n != 2 {
			t.Fatalf("%d mail-dropped events, want 2", n)
		}
	})
}

// --all-failed queues every failed row again, and no uncertain one.
func TestRequeueFailedLeavesUncertainMailAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		var failed []int64
		for _, id := range []string{"f1@desk.example", "f2@desk.example"} {
			failed = append(failed, e.enqueue(t, e.mail(id)))
			e.settle(t, func(m outbox.Mail) error { return e.q.Fail(ctx, m, outbox.Sending, "refused") })
		}
		uncertain := e.enqueue(t, e.mail("u@desk.example"))
		e.settle(t, func(m outbox.Mail) error {
			if err := e.q.MarkData(ctx, m); err != nil {
				return err
			}
			return e.q.MarkUncertain(ctx, m, errors.New("reset"))
		})
		rows, err := e.q.RequeueFailed(ctx)
		if err != nil || len(rows) != 2 {
			t.Fatalf("RequeueFailed: %d rows, %v", len(rows), err)
		}
		for _, id := range failed {
			if m := e.status(t, id); m.Status != outbox.Queued {
				t.Errorf("mail %d is %s", id, m.Status)
			}
		}
		if m := e.status(t, uncertain); m.Status != outbox.Uncertain {
			t.Errorf("the uncertain mail is %s", m.Status)
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
