package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

type env struct {
	d      *db.DB
	q      *outbox.Queue
	clk    *testclock.Clock
	prop   int64
	ticket int64
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	clk := testclock.New(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	s := tickets.New(d, tickets.WithClock(clk.Now))
	ctx := context.Background()
	p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	del, err := s.Deliver(ctx, p, secret, tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Hi", MessageID: "1@c", Raw: []byte("x"), Kind: "human"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{d: d, q: outbox.NewQueue(d, clk.Now), clk: clk, prop: p.ID, ticket: del.TicketID}
}

func (e *env) mail(id string) outbox.New {
	return outbox.New{PropertyID: e.prop, TicketID: e.ticket, MessageID: id, Kind: "acknowledgement", Automatic: true,
		From: "acme@desk.example", Rcpts: []string{"ann@customer.example"}, Raw: []byte("Subject: x\r\n\r\nbody\r\n")}
}

func (e *env) enqueue(t *testing.T, m outbox.New) int64 {
	t.Helper()
	var id int64
	err := e.d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		id, err = outbox.Enqueue(context.Background(), e.d, tx, m, e.clk.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) claimOne(t *testing.T) outbox.Mail {
	t.Helper()
	ms, err := e.q.Claim(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("claimed %d rows, want 1", len(ms))
	}
	return ms[0]
}

func (e *env) events(t *testing.T, kind string) []string {
	t.Helper()
	var ds []string
	if err := e.d.SelectContext(context.Background(), &ds, e.d.Rebind(`SELECT detail FROM ticket_events WHERE ticket_id = ? AND kind = ? ORDER BY id`), e.ticket, kind); err != nil {
		t.Fatal(err)
	}
	return ds
}

func (e *env) status(t *testing.T, id int64) outbox.Mail {
	t.Helper()
	m, err := e.q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEnqueueRefusesWhatCannotBeSent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		for name, change := range map[string]func(*outbox.New){
			"no recipient":         func(m *outbox.New) { m.Rcpts = nil },
			"empty recipient":      func(m *outbox.New) { m.Rcpts = []string{""} },
			"recipient with comma": func(m *outbox.New) { m.Rcpts = []string{"a@x.example,b@x.example"} },
			"recipient with CRLF":  func(m *outbox.New) { m.Rcpts = []string{"a@x.example\r\nRCPT TO:<b@x.example>"} },
			"no bytes":             func(m *outbox.New) { m.Raw = nil; m.Spec = `{"template":"acknowledgement"}` },
		} {
			m := e.mail("x@desk.example")
			change(&m)
			err := e.d.Tx(context.Background(), func(tx *sqlx.Tx) error {
				_, err := outbox.Enqueue(context.Background(), e.d, tx, m, e.clk.Now())
				return err
			})
			if err == nil {
				t.Errorf("%s: enqueued", name)
			}
		}
		if n, _ := e.q.Depth(context.Background()); n != 0 {
			t.Fatalf("depth %d after refused enqueues", n)
		}
	})
}

// A claim records the attempt before anything is dialled, and a row is claimed once.
func TestClaimRecordsTheAttemptAndTakesEachRowOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		id := e.enqueue(t, e.mail("a@desk.example"))
		m := e.claimOne(t)
		if m.ID != id || m.Status != outbox.Sending || m.Attempts != 1 || string(m.Raw) != "Subject: x\r\n\r\nbody\r\n" {
			t.Fatalf("claimed %+v", m)
		}
		if ms, err := e.q.Claim(ctx, 10); err != nil || len(ms) != 0 {
			t.Fatalf("a claimed row was claimed again: %v %v", ms, err)
		}
		if _, ok, err := e.q.NextDue(ctx); err != nil || ok {
			t.Fatalf("NextDue with nothing queued: %v %v", ok, err)
		}
		if n, _ := e.q.Depth(ctx); n != 1 {
			t.Fatalf("depth %d, want 1 (sending counts)", n)
		}
		// MarkSent is only valid after MarkData: a row not in "data" is not marked sent.
		if err := e.q.MarkSent(ctx, m, nil); err == nil {
			t.Fatal("a row still sending was marked sent")
		}
		if err := e.q.MarkData(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := e.q.MarkData(ctx, m); err == nil {
			t.Fatal("MarkData twice succeeded")
		}
		if err := e.q.MarkSent(ctx, m, map[string]string{"bob@customer.example": "550 no such user"}); err != nil {
			t.Fatal(err)
		}
		got := e.status(t, id)
		if got.Status != outbox.Sent || got.SentAt == nil || !strings.Contains(got.LastError, "bob@customer.example") {
			t.Fatalf("after MarkSent: %+v", got)
		}
		if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "550 no such user") {
			t.Fatalf("refused recipient not recorded on the ticket: %q", ev)
		}
		if n, _ := e.q.Depth(ctx); n != 0 {
			t.Fatalf("depth %d after sending", n)
		}
	})
}

// A temporary failure waits with backoff; after Expire (48 hours) the mail fails for good, and
// the ticket says so.
func TestRetryBacksOffThenGivesUpAfter48Hours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		id := e.enqueue(t, e.mail("a@desk.example"))
		start := e.clk.Now()
		for attempt := 1; ; attempt++ {
			m := e.claimOne(t)
			if m.Attempts != attempt {
				t.Fatalf("attempt %d recorded as %d", attempt, m.Attempts)
			}
			if err := e.q.Retry(ctx, m, outbox.Sending, fmt.Errorf("421 try later")); err != nil {
				t.Fatal(err)
			}
			got := e.status(t, id)
			if got.Status == outbox.Failed {
				if e.clk.Now().Sub(start) <= e.q.Expire {
					t.Fatalf("gave up after %s, before %s", e.clk.Now().Sub(start), e.q.Expire)
				}
				if !strings.Contains(got.LastError, "gave up") || !strings.Contains(got.LastError, "421 try later") {
					t.Fatalf("last error %q", got.LastError)
				}
				if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "gave up") {
					t.Fatalf("give-up not recorded on the ticket: %q", ev)
				}
				break
			}
			if got.Status != outbox.Queued || got.LastError != "421 try later" {
				t.Fatalf("after a retry: %+v", got)
			}
			wait := got.NextAttemptAt.Sub(e.clk.Now())
			base := min(time.Minute<<min(attempt-1, 7), 2*time.Hour)
			if wait < base*8/10-time.Microsecond || wait > base*12/10+time.Microsecond {
				t.Fatalf("attempt %d waits %s, want %s ±20%%", attempt, wait, base)
			}
			// Not due before its time.
			if ms, err := e.q.Claim(ctx, 10); err != nil || len(ms) != 0 {
				t.Fatalf("claimed before it was due: %v %v", ms, err)
			}
			next, ok, err := e.q.NextDue(ctx)
			if err != nil || !ok || !next.Equal(got.NextAttemptAt) {
				t.Fatalf("NextDue %v %v %v, want %v", next, ok, err, got.NextAttemptAt)
			}
			e.clk.Advance(wait)
			if attempt > 100 {
				t.Fatal("never gave up")
			}
		}
	})
}

func TestBackoffIsBoundedAndJittered(t *testing.T) {
	for n := 1; n <= 20; n++ {
		base := min(time.Minute<<min(n-1, 7), 2*time.Hour)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := outbox.Backoff(n)
			if d < base*8/10 || d > base*12/10 {
				t.Fatalf("Backoff(%d) = %s, want %s ±20%%", n, d, base)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("Backoff(%d) has no jitter", n)
		}
	}
}

func TestFailAndUncertainAreRecordedOnTheTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		a := e.enqueue(t, e.mail("a@desk.example"))
		m := e.claimOne(t)
		if err := e.q.Fail(ctx, m, outbox.Sending, "550 5.1.1 no such user"); err != nil {
			t.Fatal(err)
		}
		if got := e.status(t, a); got.Status != outbox.Failed || got.LastError != "550 5.1.1 no such user" {
			t.Fatalf("after Fail: %+v", got)
		}
		if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "550 5.1.1") {
			t.Fatalf("failure not on the ticket: %q", ev)
		}
		b := e.enqueue(t, e.mail("b@desk.example"))
		m = e.claimOne(t)
		if err := e.q.MarkUncertain(ctx, m, fmt.Errorf("connection reset")); err == nil {
			t.Fatal("a row that never reached DATA was marked uncertain")
		}
		if err := e.q.MarkData(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := e.q.MarkUncertain(ctx, m, fmt.Errorf("connection reset")); err != nil {
			t.Fatal(err)
		}
		if got := e.status(t, b); got.Status != outbox.Uncertain {
			t.Fatalf("after MarkUncertain: %+v", got)
		}
		if ev := e.events(t, "mail-uncertain"); len(ev) != 1 || !strings.Contains(ev[0], "not resent") {
			t.Fatalf("uncertainty not on the ticket: %q", ev)
		}
		// Neither is ever claimed again.
		e.clk.Advance(100 * time.Hour)
		if ms, err := e.q.Claim(ctx, 10); err != nil || len(ms) != 0 {
			t.Fatalf("a settled row was claimed: %v %v", ms, err)
		}
	})
}

// An instance that died leaves leases behind: a row that never reached the end of DATA is queued
// again; one that did may have been accepted, and becomes uncertain — never sent twice.
func TestRecoverSettlesWhatADeadInstanceLeft(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		sending := e.enqueue(t, e.mail("a@desk.example"))
		data := e.enqueue(t, e.mail("b@desk.example"))
		ms, err := e.q.Claim(ctx, 10)
		if err != nil || len(ms) != 2 {
			t.Fatalf("claim: %v %v", ms, err)
		}
		var claimed outbox.Mail
		for _, m := range ms {
			if m.ID == data {
				claimed = m
			}
		}
		if err := e.q.MarkData(ctx, claimed); err != nil {
			t.Fatal(err)
		}
		// Leases still running: nothing to recover.
		if r, u, err := e.q.Recover(ctx); err != nil || r != 0 || u != 0 {
			t.Fatalf("recovered %d, %d (%v) while the leases run", r, u, err)
		}
		e.clk.Advance(e.q.Lease + time.Second)
		r, u, err := e.q.Recover(ctx)
		if err != nil || r != 1 || u != 1 {
			t.Fatalf("recovered %d requeued, %d uncertain (%v); want 1, 1", r, u, err)
		}
		if got := e.status(t, sending); got.Status != outbox.Queued {
			t.Fatalf("the row that was sending: %+v", got)
		}
		if got := e.status(t, data); got.Status != outbox.Uncertain {
			t.Fatalf("the row in DATA: %+v", got)
		}
		if ev := e.events(t, "mail-uncertain"); len(ev) != 1 {
			t.Fatalf("uncertain events %q", ev)
		}
		if m := e.claimOne(t); m.ID != sending || m.Attempts != 2 {
			t.Fatalf("reclaimed %+v", m)
		}
	})
}

func TestBounceMarksTheMailFailedOnce(t *testing.T) {
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
		if ticket, err := e.q.Bounced(ctx, e.prop, "a@desk.example", "550 mailbox full"); err != nil || ticket != e.ticket {
			t.Fatalf("bounce matched ticket %d (%v), want %d", ticket, err, e.ticket)
		}
		// The same bounce again (a redelivery) changes nothing.
		if ticket, err := e.q.Bounced(ctx, e.prop, "a@desk.example", "550 mailbox full"); err != nil || ticket != 0 {
			t.Fatalf("the second bounce matched ticket %d (%v)", ticket, err)
		}
		if got := e.status(t, id); got.Status != outbox.Failed || got.LastError != "bounced: 550 mailbox full" {
			t.Fatalf("after the bounce: %+v", got)
		}
		if ev := e.events(t, "mail-bounced"); len(ev) != 1 {
			t.Fatalf("bounce events %q, want one", ev)
		}
		// Another property's bounce for the same Message-ID names nothing of ours.
		if ticket, err := e.q.Bounced(ctx, e.prop+1000, "a@desk.example", "x"); err != nil || ticket != 0 {
			t.Fatalf("foreign bounce matched ticket %d (%v)", ticket, err)
		}
	})
}

// Several senders (instances) claiming at once never take the same row.
func TestConcurrentClaimsNeverOverlap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		const rows = 60
		for i := range rows {
			e.enqueue(t, e.mail(fmt.Sprintf("m%d@desk.example", i)))
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q := outbox.NewQueue(d, e.clk.Now)
				for {
					ms, err := q.Claim(ctx, 7)
					if err != nil {
						errs <- err
						return
					}
					if len(ms) == 0 {
						return
					}
					mu.Lock()
					for _, m := range ms {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != rows {
			t.Fatalf("claimed %d distinct rows, want %d", len(seen), rows)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("row %d claimed %d times", id, n)
			}
		}
	})
}

// An attempt whose lease ran out, and whose row another instance recovered and claimed again,
// can neither send the row nor settle it: the attempt number fences it off the newer claim.
func TestAStaleAttemptCannotTouchANewerClaim(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		id := e.enqueue(t, e.mail("a@desk.example"))
		stale := e.claimOne(t)
		e.clk.Advance(e.q.Lease + time.Second)
		if r, _, err := e.q.Recover(ctx); err != nil || r != 1 {
			t.Fatalf("recover: %d %v", r, err)
		}
		fresh := e.claimOne(t)
		if fresh.Attempts != stale.Attempts+1 {
			t.Fatalf("attempts %d after %d", fresh.Attempts, stale.Attempts)
		}
		if err := e.q.MarkData(ctx, stale); err == nil {
			t.Fatal("the stale attempt was let into DATA")
		}
		if err := e.q.Retry(ctx, stale, outbox.Sending, fmt.Errorf("late")); err == nil {
			t.Fatal("the stale attempt requeued the newer claim")
		}
		if err := e.q.Fail(ctx, stale, outbox.Sending, "late"); err == nil {
			t.Fatal("the stale attempt failed the newer claim")
		}
		if err := e.q.MarkData(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if err := e.q.MarkSent(ctx, stale, nil); err == nil {
			t.Fatal("the stale attempt marked the newer claim sent")
		}
		if err := e.q.MarkUncertain(ctx, stale, fmt.Errorf("late")); err == nil {
			t.Fatal("the stale attempt marked the newer claim uncertain")
		}
		if err := e.q.MarkSent(ctx, fresh, nil); err != nil {
			t.Fatal(err)
		}
		if got := e.status(t, id); got.Status != outbox.Sent || got.Attempts != fresh.Attempts {
			t.Fatalf("after the newer claim: %+v", got)
		}
	})
}
