package sender_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/outbox"
)

// The relay goes away while the sender holds a pooled session, and is still down when the sender
// redials: the attempt fails (it used to panic on the nil client and end the daemon), the mail
// stays queued, and it is sent once when the relay is back.
func TestRelayGoneMidFlowKeepsMailQueuedAndSendsItOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		first := e.enqueue(t, "ann@customer.example")
		s, stop := e.run(t, e.relayTransport(t))
		defer stop()
		e.waitStatus(t, first, outbox.Sent) // the session is pooled now
		e.relay.Stop()
		second := e.enqueueID(t, "out-2@desk.example", "bob@customer.example")
		s.Kick()
		m := e.waitStatus(t, second, outbox.Queued)
		for m.Attempts < 1 {
			m = e.waitStatus(t, second, outbox.Queued)
		}
		if m.LastError == "" {
			t.Fatalf("the failed attempt left no error: %+v", m)
		}
		e.relay.Restart(t)
		e.clk.Advance(3 * time.Minute) // past the first backoff (≤ 72 s)
		s.Kick()
		e.waitStatus(t, second, outbox.Sent)
		got := e.relay.Messages()
		if len(got) != 2 || got[1].Rcpts[0] != "bob@customer.example" {
			t.Fatalf("relay got %+v, want each mail once", got)
		}
	})
}

// The relay restarts while the sender holds a pooled session: the next mail finds the session
// dead, redials, and goes out in that same attempt.
func TestRelayRestartIsRedialedInTheSameAttempt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		first := e.enqueue(t, "ann@customer.example")
		s, stop := e.run(t, e.relayTransport(t))
		defer stop()
		e.waitStatus(t, first, outbox.Sent)
		e.relay.Stop()
		e.relay.Restart(t)
		second := e.enqueueID(t, "out-2@desk.example", "bob@customer.example")
		s.Kick()
		if m := e.waitStatus(t, second, outbox.Sent); m.Attempts != 1 {
			t.Fatalf("sent after %d attempts, want 1: the redial must carry the mail", m.Attempts)
		}
	})
}

// A relay that accepts the connection and never greets: the attempt times out, the mail stays
// queued, the sender goes on.
func TestRelayThatNeverGreetsIsATemporaryFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held := make(chan net.Conn, 8)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				held <- c // never written to: a hung relay
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			for len(held) > 0 {
				(<-held).Close()
			}
		})
		tr, err := relay.NewSMTPTransport(relay.Config{Addr: ln.Addr().String(), Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		id := e.enqueue(t, "ann@customer.example")
		_, stop := e.run(t, tr)
		defer stop()
		m := e.waitStatus(t, id, outbox.Queued)
		for m.Attempts < 1 {
			m = e.waitStatus(t, id, outbox.Queued)
		}
		if !strings.Contains(m.LastError, "timeout") {
			t.Fatalf("last error %q, want a timeout", m.LastError)
		}
	})
}

// A relay that takes the whole message and then never answers: the attempt is cut off at its
// deadline; the relay may have the mail, so it is marked uncertain and never sent again.
func TestRelayThatHangsAfterDataIsUncertainNotResent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.relay.Script(mailertest.Hang)
		tr, err := relay.NewSMTPTransport(relay.Config{Addr: e.relay.Addr, Timeout: 5 * time.Second, AttemptTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		id := e.enqueue(t, "ann@customer.example")
		_, stop := e.run(t, tr)
		defer stop()
		m := e.waitStatus(t, id, outbox.Uncertain)
		if m.Attempts != 1 || e.relay.Attempts() != 1 {
			t.Fatalf("attempts %d, relay saw %d", m.Attempts, e.relay.Attempts())
		}
	})
}

// panicky panics on its first Send, then delivers through next.
type panicky struct {
	calls atomic.Int32
	next  sender.Transport
}

func (p *panicky) Send(ctx context.Context, from string, rcpts []string, raw []byte, commit func() error) (map[string]string, error) {
	if p.calls.Add(1) == 1 {
		var c *struct{ n int }
		_ = c.n // a nil dereference, as the transport's old redial bug
	}
	return p.next.Send(ctx, from, rcpts, raw, commit)
}

func TestAPanicInAnAttemptIsRecoveredAndTheMailRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		id := e.enqueue(t, "ann@customer.example")
		tr := &panicky{next: e.relayTransport(t)}
		s, stop := e.run(t, tr)
		defer stop()
		m := e.waitStatus(t, id, outbox.Queued)
		for m.Attempts < 1 {
			m = e.waitStatus(t, id, outbox.Queued)
		}
		if !strings.Contains(m.LastError, "panic") {
			t.Fatalf("last error %q, want the panic", m.LastError)
		}
		e.clk.Advance(3 * time.Minute)
		s.Kick()
		e.waitStatus(t, id, outbox.Sent)
		if len(e.relay.Messages()) != 1 {
			t.Fatalf("relay got %d", len(e.relay.Messages()))
		}
	})
}
