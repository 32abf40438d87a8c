package sender_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/testclock"
)

// records is a slog handler that keeps the messages logged at warn and above, and "reachable".
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelWarn && !strings.Contains(rec.Message, "reachable") {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// take returns the messages logged since the last call.
func (r *records) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

// downQueue is a queue whose database is down while down is set.
type downQueue struct {
	down atomic.Bool
	err  atomic.Value // error
}

func (q *downQueue) fail() error { return q.err.Load().(error) }
func (q *downQueue) Claim(context.Context, int) ([]outbox.Mail, error) {
	if q.down.Load() {
		return nil, q.fail()
	}
	return nil, nil
}
func (q *downQueue) MarkData(context.Context, outbox.Mail) error                    { return nil }
func (q *downQueue) MarkSent(context.Context, outbox.Mail, map[string]string) error { return nil }
func (q *downQueue) Retry(context.Context, outbox.Mail, string, error) error        { return nil }
func (q *downQueue) Fail(context.Context, outbox.Mail, string, string) error        { return nil }
func (q *downQueue) MarkUncertain(context.Context, outbox.Mail, error) error        { return nil }
func (q *downQueue) Recover(context.Context) (int, int, error)                      { return 0, 0, nil }
func (q *downQueue) Renew(context.Context, []outbox.Mail) ([]int64, error)          { return nil, nil }
func (q *downQueue) NextDue(context.Context) (time.Time, bool, error)               { return time.Time{}, false, nil }
func (q *downQueue) Send(context.Context, string, []string, []byte, func() error) (map[string]string, error) {
	return nil, errors.New("nothing is sent here")
}

// While the database is down the sender fails every claim round (one a second); it logs the
// failure once, then once a minute while it lasts, a new kind of failure at once, and once that
// it is over.
func TestADatabaseOutageIsLoggedOnceAMinute(t *testing.T) {
	clk := testclock.New(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	logs := &records{}
	q := &downQueue{}
	q.err.Store(errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	s := sender.New(q, q, 1, time.Hour, slog.New(logs)).WithClock(clk.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-s.Recovered()
	round := func() {
		t.Helper()
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(when string, want ...string) {
		t.Helper()
		got := logs.take()
		if len(got) != len(want) {
			t.Fatalf("%s: logged %q, want %d records %q", when, got, len(want), want)
		}
		for i := range want {
			if !strings.Contains(got[i], want[i]) {
				t.Fatalf("%s: logged %q, want %q", when, got[i], want[i])
			}
		}
	}

	round()
	expect("healthy")
	q.down.Store(true)
	round()
	expect("the first failure", "is unreachable")
	for range 58 {
		clk.Advance(time.Second)
		round()
	}
	expect("within the minute")
	clk.Advance(2 * time.Second)
	round()
	expect("a minute on", "still unreachable")
	clk.Advance(time.Second)
	round()
	expect("just after")
	q.err.Store(errors.New("pq: password authentication failed for user \"postdesk\""))
	clk.Advance(time.Second)
	round()
	expect("another kind of failure", "still unreachable")
	q.down.Store(false)
	clk.Advance(time.Second)
	round()
	expect("the end", "reachable again")
	round()
	expect("healthy again")
	q.down.Store(true)
	round()
	expect("a new outage", "is unreachable")
}
