package sender_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/outbox"
)

var errKilled = errors.New("the instance was killed")

// killable is an instance's view of the shared queue: once killed, it writes nothing more (a
// process killed with SIGKILL renews no lease and settles no row).
type killable struct {
	q      *outbox.Queue
	killed atomic.Bool
}

func (k *killable) dead() error {
	if k.killed.Load() {
		return errKilled
	}
	return nil
}
func (k *killable) Claim(ctx context.Context, n int) ([]outbox.Mail, error) {
	if err := k.dead(); err != nil {
		return nil, err
	}
	return k.q.Claim(ctx, n)
}
func (k *killable) MarkData(ctx context.Context, m outbox.Mail) error {
	if err := k.dead(); err != nil {
		return err
	}
	return k.q.MarkData(ctx, m)
}
func (k *killable) MarkSent(ctx context.Context, m outbox.Mail, r map[string]string) error {
	if err := k.dead(); err != nil {
		return err
	}
	return k.q.MarkSent(ctx, m, r)
}
func (k *killable) Retry(ctx context.Context, m outbox.Mail, from string, cause error) error {
	if err := k.dead(); err != nil {
		return err
	}
	return k.q.Retry(ctx, m, from, cause)
}
func (k *killable) Fail(ctx context.Context, m outbox.Mail, from, reason string) error {
	if err := k.dead(); err != nil {
		return err
	}
	return k.q.Fail(ctx, m, from, reason)
}
func (k *killable) MarkUncertain(ctx context.Context, m outbox.Mail, cause error) error {
	if err := k.dead(); err != nil {
		return err
	}
	return k.q.MarkUncertain(ctx, m, cause)
}
func (k *killable) Recover(ctx context.Context) (int, int, error) {
	if err := k.dead(); err != nil {
		return 0, 0, err
	}
	return k.q.Recover(ctx)
}
func (k *killable) Renew(ctx context.Context, ms []outbox.Mail) ([]int64, error) {
	if err := k.dead(); err != nil {
		return nil, err
	}
	return k.q.Renew(ctx, ms)
}
func (k *killable) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := k.dead(); err != nil {
		return time.Time{}, false, err
	}
	return k.q.NextDue(ctx)
}

// stuck is a transport whose sends stop where the test wants them, until released: before the end
// of DATA (pre@), or once the end of DATA was recorded (data@). It sends nothing anywhere.
type stuck struct {
	pre, data chan struct{} // closed when a send reached its point
	release   chan struct{}
	once      [2]sync.Once
}

func (s *stuck) Send(ctx context.Context, from string, rcpts []string, raw []byte, commit func() error) (map[string]string, error) {
	if rcpts[0] == "data@customer.example" {
		if err := commit(); err != nil {
			return nil, err
		}
		s.once[1].Do(func() { close(s.data) })
	} else {
		s.once[0].Do(func() { close(s.pre) })
	}
	<-s.release
	return nil, errKilled
}

// One instance holds three mails — one being sent before the end of DATA, one after it, one
// claimed and waiting for a worker — and renews their leases while it works, so another instance
// takes nothing over even past the first lease. Then it is killed: a lease after its last renewal,
// the other instance's recovery round takes the mails over (within 20 s of the kill), sends the
// two that never reached the end of DATA, once each, and marks the third uncertain, never resent.
func TestAKilledInstancesMailIsTakenOverWithinTheBound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		pre := e.enqueueID(t, "pre@desk.example", "pre@customer.example")
		data := e.enqueueID(t, "data@desk.example", "data@customer.example")
		waiting := e.enqueueID(t, "waiting@desk.example", "waiting@customer.example")

		victimQ := &killable{q: e.q}
		tr := &stuck{pre: make(chan struct{}), data: make(chan struct{}), release: make(chan struct{})}
		victim := sender.New(victimQ, tr, 2, 10*time.Millisecond, nil).WithClock(e.clk.Now).WithLease(e.q.Lease)
		vctx, vstop := context.WithCancel(ctx)
		vdone := make(chan struct{})
		go func() { victim.Run(vctx); close(vdone) }()
		defer func() { close(tr.release); vstop(); <-vdone }()
		<-tr.pre
		<-tr.data
		e.waitStatus(t, waiting, outbox.Sending) // claimed in the same batch, waiting for a worker
		if n := victim.Held(); n != 3 {
			t.Fatalf("the victim holds %d mails, want 3", n)
		}

		survivor, stop := e.run(t, e.relayTransport(t))
		defer stop()
		sync := func(f func(context.Context) error) {
			t.Helper()
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := f(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// The victim's heartbeat keeps its mails past the first lease.
		for range 2 {
			e.clk.Advance(e.q.Lease * 2 / 3)
			sync(victim.SyncRenew)
			sync(survivor.SyncRecover)
		}
		for id, want := range map[int64]string{pre: outbox.Sending, data: outbox.Data, waiting: outbox.Sending} {
			if m, _ := e.q.Get(ctx, id); m.Status != want || m.Attempts != 1 {
				t.Fatalf("mail %d taken from a live holder: %+v", id, m)
			}
		}

		victimQ.killed.Store(true) // SIGKILL: no renewal, no settling from now on
		killedAt := e.clk.Now()
		e.clk.Advance(e.q.Lease + e.q.Lease/3)
		sync(survivor.SyncRecover)
		sync(survivor.Sync)
		e.waitStatus(t, pre, outbox.Sent)
		e.waitStatus(t, waiting, outbox.Sent)
		e.waitStatus(t, data, outbox.Uncertain)
		if took := e.clk.Now().Sub(killedAt); took > 20*time.Second {
			t.Fatalf("taken over %s after the kill", took)
		}
		var got []string
		for _, m := range e.relay.Messages() {
			got = append(got, m.Rcpts[0])
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"pre@customer.example", "waiting@customer.example"}) {
			t.Fatalf("the relay got %v: each mail that never reached the end of DATA once, the other never", got)
		}
		if ev := e.events(t, "mail-uncertain"); len(ev) != 1 {
			t.Fatalf("uncertain events on the ticket: %q", ev)
		}
	})
}
