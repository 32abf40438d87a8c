package sender_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/outbox"
)

// A row without bytes (queued by a postdesk that rendered at send time) is never sent: the
// sender sends bytes only. It fails with a reason on the ticket, and the relay sees nothing.
func TestMailWithoutBytesFailsAndIsNeverSent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		now := e.clk.Now().UTC().Truncate(time.Microsecond)
		var id int64
		if err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO outbox (property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			e.prop, e.ticket, "old@desk.example", "acknowledgement", true, "acme@desk.example", "ann@customer.example", `{"template":"acknowledgement"}`, []byte{}, outbox.Queued, now, now); err != nil {
			t.Fatal(err)
		}
		later := e.enqueue(t, "bob@customer.example")
		_, stop := e.run(t, e.relayTransport(t))
		defer stop()
		m := e.waitStatus(t, id, outbox.Failed)
		if !strings.Contains(m.LastError, "without its bytes") {
			t.Fatalf("last error %q", m.LastError)
		}
		// The mail queued after it is sent, and it is the only one the relay saw.
		e.waitStatus(t, later, outbox.Sent)
		if got := e.relay.Messages(); e.relay.Attempts() != 1 || len(got) != 1 || got[0].Rcpts[0] != "bob@customer.example" {
			t.Fatalf("relay saw %d attempts: %+v", e.relay.Attempts(), got)
		}
		if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "old@desk.example") {
			t.Fatalf("ticket events: %v", ev)
		}
	})
}

// A relay that defers for two days: the sender retries with backoff, then gives up, and the
// ticket says so.
func TestSenderGivesUpAfter48HoursOfDeferrals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		defers := make([]mailertest.Behaviour, 100)
		for i := range defers {
			defers[i] = mailertest.Defer
		}
		e.relay.Script(defers...)
		id := e.enqueue(t, "ann@customer.example")
		start := e.clk.Now()
		s, stop := e.run(t, e.relayTransport(t))
		defer stop()
		for attempt := 1; ; attempt++ {
			m := e.waitAttempt(t, id, attempt)
			if m.Status == outbox.Failed {
				if e.clk.Now().Sub(start) <= 48*time.Hour {
					t.Fatalf("gave up after %s", e.clk.Now().Sub(start))
				}
				if !strings.Contains(m.LastError, "gave up") || !strings.Contains(m.LastError, "451") {
					t.Fatalf("last error %q", m.LastError)
				}
				break
			}
			if attempt > 60 {
				t.Fatal("never gave up")
			}
			e.clk.Advance(m.NextAttemptAt.Sub(e.clk.Now()))
			s.Kick()
		}
		if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "gave up") {
			t.Fatalf("ticket events: %v", ev)
		}
		if len(e.relay.Messages()) != 0 {
			t.Fatal("the relay accepted a deferred mail")
		}
	})
}

// waitAttempt waits until attempt n of mail id is settled (queued again, or failed).
func (e *env) waitAttempt(t *testing.T, id int64, n int) outbox.Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m, err := e.q.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Attempts == n && (m.Status == outbox.Queued || m.Status == outbox.Failed) {
			return m
		}
		time.Sleep(2 * time.Millisecond)
	}
	m, _ := e.q.Get(context.Background(), id)
	t.Fatalf("mail %d: attempt %d not settled: %+v", id, n, m)
	return m
}

// recovering is a transport in front of the real one that, before the attempt, lets "another
// instance" take the row back (its lease ran out): the sender's commit then fails, and the real
// transport must abandon the transaction before the end of DATA.
type recovering struct {
	sender.Transport
	steal func() bool
	done  chan error // the first attempt's result
}

func (r recovering) Send(ctx context.Context, from string, rcpts []string, raw []byte, commit func() error) (map[string]string, error) {
	first := r.steal()
	refused, err := r.Transport.Send(ctx, from, rcpts, raw, commit)
	if first {
		r.done <- err
	}
	return refused, err
}

func TestCommitFailureSendsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		id := e.enqueue(t, "ann@customer.example")
		stolen := make(chan struct{})
		tr := recovering{Transport: e.relayTransport(t), done: make(chan error, 1), steal: func() bool {
			select {
			case <-stolen:
				return false // once
			default:
			}
			if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE outbox SET status = ?, next_attempt_at = ? WHERE id = ?`), outbox.Queued, e.clk.Now().Add(time.Hour).UTC(), id); err != nil {
				t.Error(err)
			}
			close(stolen)
			return true
		}}
		s, stop := e.run(t, tr)
		defer stop()
		// The attempt that lost its row commits nothing, so the transport abandons DATA.
		if err := <-tr.done; !errors.Is(err, relay.ErrCommit) {
			t.Fatalf("the attempt that lost its row: %v, want ErrCommit", err)
		}
		// The attempt that lost its row settles nothing; the row stays as the other instance left
		// it, and the relay got no mail. Then the row's own next attempt delivers it once.
		m := e.waitStatus(t, id, outbox.Queued)
		if m.Attempts != 1 {
			t.Fatalf("attempts %d", m.Attempts)
		}
		e.clk.Advance(2 * time.Hour)
		s.Kick()
		e.waitStatus(t, id, outbox.Sent)
		if got := e.relay.Messages(); len(got) != 1 {
			t.Fatalf("relay got %d messages, want 1", len(got))
		}
	})
}
