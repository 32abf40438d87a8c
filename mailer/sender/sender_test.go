package sender_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

type env struct {
	d      *db.DB
	q      *outbox.Queue
	clk    *testclock.Clock
	relay  *mailertest.Relay
	ticket int64
	prop   int64
}

func setup(t *testing.T, d *db.DB) *env {
	clk := testclock.New(time.Now().UTC())
	s := tickets.New(d, tickets.WithClock(clk.Now))
	ctx := context.Background()
	p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := s.Secret(ctx)
	del, err := s.Deliver(ctx, p, secret, tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Hi", MessageID: "1@c", Raw: []byte("x"), Kind: "human"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{d: d, q: outbox.NewQueue(d, clk.Now), clk: clk, relay: mailertest.Start(t), ticket: del.TicketID, prop: p.ID}
}

func (e *env) enqueue(t *testing.T, rcpts ...string) int64 {
	t.Helper()
	return e.enqueueID(t, "out-1@desk.example", rcpts...)
}

func (e *env) enqueueID(t *testing.T, messageID string, rcpts ...string) int64 {
	t.Helper()
	var id int64
	err := e.d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		id, err = outbox.Enqueue(context.Background(), e.d, tx, outbox.New{
			PropertyID: e.prop, TicketID: e.ticket, MessageID: messageID, Kind: "acknowledgement", Automatic: true,
			From: "acme@desk.example", Rcpts: rcpts, Raw: []byte("Subject: [#1] Hi\r\nMessage-ID: <" + messageID + ">\r\n\r\nWe got it.\r\n"),
		}, e.clk.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// run starts a sender until the returned stop is called.
func (e *env) run(t *testing.T, tr sender.Transport, signer ...sender.Signer) (*sender.Sender, func()) {
	s := sender.New(e.q, tr, 2, 10*time.Millisecond, nil).WithClock(e.clk.Now)
	if len(signer) > 0 {
		s.WithSigner(signer[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return s, func() { cancel(); <-done }
}

// sync waits for a claim round of s that began after the call to end.
func (e *env) sync(t *testing.T, s *sender.Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("sender sync: %v", err)
	}
}

func (e *env) relayTransport(t *testing.T) sender.Transport {
	tr, err := relay.NewSMTPTransport(relay.Config{Addr: e.relay.Addr, TLS: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func (e *env) waitStatus(t *testing.T, id int64, want string) outbox.Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m, err := e.q.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == want {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	m, _ := e.q.Get(context.Background(), id)
	t.Fatalf("mail %d is %s (%s), want %s", id, m.Status, m.LastError, want)
	return m
}

func (e *env) events(t *testing.T, kind string) []string {
	var ds []string
	if err := e.d.SelectContext(context.Background(), &ds, e.d.Rebind(`SELECT detail FROM ticket_events WHERE ticket_id = ? AND kind = ?`), e.ticket, kind); err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestTemporaryFailureIsRetriedAndDeliveredOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.relay.Script(mailertest.Defer)
		id := e.enqueue(t, "ann@customer.example")
		s, stop := e.run(t, e.relayTransport(t))
		defer stop()
		m := e.waitStatus(t, id, outbox.Queued)
		for m.Attempts < 1 || m.LastError == "" {
			m = e.waitStatus(t, id, outbox.Queued)
		}
		if !strings.Contains(m.LastError, "451") || !m.NextAttemptAt.After(e.clk.Now()) {
			t.Fatalf("after 451: %+v", m)
		}
		e.clk.Advance(3 * time.Minute) // past the first backoff (≤ 72 s)
		s.Kick()
		m = e.waitStatus(t, id, outbox.Sent)
		if m.Attempts != 2 || len(e.relay.Messages()) != 1 || e.relay.Attempts() != 2 {
			t.Fatalf("attempts %d, relay got %d of %d", m.Attempts, len(e.relay.Messages()), e.relay.Attempts())
		}
	})
}

func TestPermanentFailureIsRecordedOnTheTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.relay.Script(mailertest.Refuse)
		id := e.enqueue(t, "ann@customer.example")
		_, stop := e.run(t, e.relayTransport(t))
		defer stop()
		m := e.waitStatus(t, id, outbox.Failed)
		if !strings.Contains(m.LastError, "550") {
			t.Fatalf("last error %q", m.LastError)
		}
		if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "550") {
			t.Fatalf("ticket events: %v", ev)
		}
	})
}

func TestRefusedRecipientIsRecordedAndOthersGetIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.relay.RefuseRcpt("gone@customer.example")
		id := e.enqueue(t, "ann@customer.example", "gone@customer.example")
		_, stop := e.run(t, e.relayTransport(t))
		defer stop()
		e.waitStatus(t, id, outbox.Sent)
		got := e.relay.Messages()
		if len(got) != 1 || len(got[0].Rcpts) != 1 || got[0].Rcpts[0] != "ann@customer.example" {
			t.Fatalf("relay got %+v", got)
		}
		if ev := e.events(t, "mail-failed"); len(ev) != 1 || !strings.Contains(ev[0], "gone@customer.example") {
			t.Fatalf("ticket events: %v", ev)
		}
	})
}

func TestConnectionDroppedAfterDataIsNeverResent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.relay.Script(mailertest.DropAfterData)
		id := e.enqueue(t, "ann@customer.example")
		s, stop := e.run(t, e.relayTransport(t))
		defer stop()
		e.waitStatus(t, id, outbox.Uncertain)
		e.clk.Advance(time.Hour)
		// A claim round after an hour has passed has ended: had it taken the row again, the row
		// would be sending (or sent) by now, not uncertain.
		e.sync(t, s)
		if m, err := e.q.Get(context.Background(), id); err != nil || m.Status != outbox.Uncertain || m.Attempts != 1 {
			t.Fatalf("after an hour: %+v, %v; want uncertain after 1 attempt", m, err)
		}
		if e.relay.Attempts() != 1 {
			t.Fatalf("relay saw %d attempts, want 1", e.relay.Attempts())
		}
		if ev := e.events(t, "mail-uncertain"); len(ev) != 1 {
			t.Fatalf("ticket events: %v", ev)
		}
	})
}

func TestRelayDownThenUpDeliversOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		tr, _ := relay.NewSMTPTransport(relay.Config{Addr: "127.0.0.1:1", Timeout: time.Second})
		id := e.enqueue(t, "ann@customer.example")
		_, stop := e.run(t, tr)
		m := e.waitStatus(t, id, outbox.Queued)
		for m.Attempts < 1 {
			m = e.waitStatus(t, id, outbox.Queued)
		}
		stop()
		// A restart with the relay back: pending mail resumes.
		e.clk.Advance(5 * time.Minute)
		_, stop = e.run(t, e.relayTransport(t))
		defer stop()
		e.waitStatus(t, id, outbox.Sent)
		if len(e.relay.Messages()) != 1 {
			t.Fatalf("relay got %d", len(e.relay.Messages()))
		}
	})
}

// A crash is simulated by claiming rows and never settling them: the lease runs out, and Recover
// tells apart mail that never reached the end of DATA (sent again) from mail that may have.
func TestRestartAfterCrashLosesAndDuplicatesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		before := e.enqueue(t, "ann@customer.example")
		claimed, err := e.q.Claim(ctx, 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		after := e.enqueue(t, "bob@customer.example")
		claimed, _ = e.q.Claim(ctx, 10)
		if err := e.q.MarkData(ctx, claimed[0]); err != nil {
			t.Fatal(err)
		}
		// "Crash"; a new process starts after the lease ran out.
		e.clk.Advance(e.q.Lease + time.Second)
		_, stop := e.run(t, e.relayTransport(t))
		defer stop()
		e.waitStatus(t, before, outbox.Sent)
		e.waitStatus(t, after, outbox.Uncertain)
		if got := e.relay.Messages(); len(got) != 1 || got[0].Rcpts[0] != "ann@customer.example" {
			t.Fatalf("relay got %+v", got)
		}
	})
}

func TestWithoutARelayMailIsWrittenToFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		dir := t.TempDir()
		id := e.enqueue(t, "ann@customer.example")
		_, stop := e.run(t, relay.FileTransport{Dir: dir})
		defer stop()
		e.waitStatus(t, id, outbox.Sent)
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(files) != 1 {
			t.Fatalf("files: %v", files)
		}
		b, _ := os.ReadFile(files[0])
		if !strings.Contains(string(b), "X-Postdesk-Envelope-To: ann@customer.example") || !strings.Contains(string(b), "We got it.") {
			t.Fatalf("file: %s", b)
		}
	})
}

// A relay_tls = starttls relay that offers no STARTTLS: every mail stays queued with that reason
// as its last error, and the log says so once, as an error, not once a mail as a deferral.
func TestRelayWithoutSTARTTLSIsSaidOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		a := e.enqueueID(t, "out-a@desk.example", "ann@customer.example")
		b := e.enqueueID(t, "out-b@desk.example", "bob@customer.example")
		tr, err := relay.NewSMTPTransport(relay.Config{Addr: e.relay.Addr, TLS: "starttls", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Check(context.Background()); !errors.Is(err, relay.ErrNoSTARTTLS) {
			t.Fatalf("probe: %v, want ErrNoSTARTTLS", err)
		}
		var logs syncLog
		s := sender.New(e.q, tr, 2, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))).WithClock(e.clk.Now)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		for _, id := range []int64{a, b} {
			m := e.waitStatus(t, id, outbox.Queued)
			for m.Attempts < 1 || m.LastError == "" {
				m = e.waitStatus(t, id, outbox.Queued)
			}
			if !strings.Contains(m.LastError, "offers no STARTTLS") {
				t.Fatalf("mail %d: last error %q", id, m.LastError)
			}
		}
		cancel()
		<-done
		if got := strings.Count(logs.String(), "offers no STARTTLS"); got != 1 || !strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "mail deferred") {
			t.Fatalf("the missing STARTTLS logged %d times:\n%s", got, logs.String())
		}
		if e.relay.Attempts() != 0 || len(e.relay.Messages()) != 0 {
			t.Fatalf("the relay got %d transactions in clear", e.relay.Attempts())
		}
	})
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *syncLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
