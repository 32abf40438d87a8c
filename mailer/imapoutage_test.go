package mailer_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer"
	"github.com/postdesk/postdesk/tickets"
)

// A delivery that panics is an error for that message: the poller goes on, the message is
// neither flagged nor passed by the checkpoint, and the next poll imports it.
func TestIMAPDeliveryPanicIsRecoveredAndTheMailFetchedAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		since := time.Now().Add(-time.Hour)
		srv.appendMail(t, nil, "INBOX", mail("a", "Panics once"), time.Now())
		m := f.addMailbox(t, srv.account, "INBOX", "seen", &since)
		var calls atomic.Int32
		next := f.deliverer()
		f.run(t, mailer.DeliverFunc(func(ctx context.Context, p tickets.Property, from string, raw []byte) (tickets.Delivery, error) {
			if calls.Add(1) == 1 {
				var c *struct{ n int }
				_ = c.n
			}
			return next.Deliver(ctx, p, from, raw)
		}))
		waitFor(t, 30*time.Second, "the import after the panic", func() bool { return f.mailbox(t, m.ID).LastUID == 1 })
		if n := f.messageCount(t); n != 1 || calls.Load() < 2 {
			t.Fatalf("%d messages after %d deliveries", n, calls.Load())
		}
	})
}
