// Package outbox is postdesk's durable queue of outgoing mail (the transactional outbox of
// DESIGN.md §1): rows are enqueued in the transaction of the change that causes them, and the
// sender claims, attempts and settles them. Every state change of a row is a database write made
// before the step it allows, so a crash anywhere loses nothing and sends nothing twice.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// Status of a row.
const (
	Queued    = "queued"    // waiting for its next attempt
	Sending   = "sending"   // claimed; the relay has not been given the end of DATA
	Data      = "data"      // the end of DATA is being sent: from here the relay may have it
	Sent      = "sent"      // the relay accepted it
	Failed    = "failed"    // refused permanently, or expired after retrying
	Uncertain = "uncertain" // interrupted after the end of DATA: the relay may have it; never resent
)

// Mail is one outgoing message.
type Mail struct {
	ID            int64      `db:"id"`
	PropertyID    int64      `db:"property_id"`
	TicketID      *int64     `db:"ticket_id"`
	MessageID     string     `db:"message_id"`
	Kind          string     `db:"kind"`
	Automatic     bool       `db:"automatic"`
	From          string     `db:"mail_from"`
	RcptList      string     `db:"rcpts"`
	Spec          string     `db:"spec"`
	Raw           []byte     `db:"raw"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     string     `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
}

// Rcpts is the envelope recipients.
func (m Mail) Rcpts() []string { return strings.Split(m.RcptList, ",") }

// New is a mail to enqueue.
type New struct {
	PropertyID int64
	TicketID   int64 // 0: not about a ticket
	MessageID  string
	Kind       string
	Automatic  bool
	From       string
	Rcpts      []string
	// Raw is the message, rendered in the transaction of the change that caused it: the sender
	// sends these bytes and nothing else.
	Raw []byte
	// Spec records, for people reading the queue, why the mail was queued (the notifier's intent
	// as JSON); optional, never read by the sender.
	Spec string
}

// Enqueue writes m in tx, due now.
func Enqueue(ctx context.Context, d *db.DB, tx *sqlx.Tx, m New, now time.Time) (int64, error) {
	if len(m.Rcpts) == 0 {
		return 0, errors.New("outbox: a mail needs a recipient")
	}
	for _, r := range m.Rcpts {
		if r == "" || strings.ContainsAny(r, ",\r\n <>") {
			return 0, fmt.Errorf("outbox: bad recipient %q", r)
		}
	}
	var ticket *int64
	if m.TicketID != 0 {
		ticket = &m.TicketID
	}
	// Stored times are UTC at microsecond precision on both engines; a finer time would compare
	// unequal to itself once read back.
	now = now.UTC().Truncate(time.Microsecond)
	var id int64
	if len(m.Raw) == 0 {
		return 0, errors.New("outbox: a mail needs its bytes")
	}
	qs, err := queriesOf(d)
	if err != nil {
		return 0, err
	}
	err = d.Get(ctx, tx, &id, qs.Enqueue,
		m.PropertyID, ticket, m.MessageID, m.Kind, m.Automatic, m.From, strings.Join(m.Rcpts, ","), m.Spec, m.Raw, Queued, now, now)
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue: %w", err)
	}
	return id, nil
}

// RecentAutomatic counts automatic mails queued to rcpt since since (the loop breaker's count).
func RecentAutomatic(ctx context.Context, d *db.DB, tx *sqlx.Tx, rcpt string, since time.Time) (int, error) {
	qs, err := queriesOf(d)
	if err != nil {
		return 0, err
	}
	since = since.UTC().Truncate(time.Microsecond)
	var n int
	if err := d.Get(ctx, tx, &n, qs.RecentAutomatic, rcpt, true, since); err != nil {
		return 0, fmt.Errorf("outbox: count automatic mail: %w", err)
	}
	return n, nil
}

// RecentOfKind counts mails of kind queued to rcpt since since (the bound on command-error mails).
func RecentOfKind(ctx context.Context, d *db.DB, tx *sqlx.Tx, kind, rcpt string, since time.Time) (int, error) {
	qs, err := queriesOf(d)
	if err != nil {
		return 0, err
	}
	since = since.UTC().Truncate(time.Microsecond)
	var n int
	if err := d.Get(ctx, tx, &n, qs.RecentOfKind, kind, rcpt, since); err != nil {
		return 0, fmt.Errorf("outbox: count %s mail: %w", kind, err)
	}
	return n, nil
}

// Queue is the sender's side of the outbox.
type Queue struct {
	db  *db.DB
	now func() time.Time
	qs  queries
	// Lease is how long a claim holds a row unless its holder renews it (Renew); once it ran out,
	// another instance recovers the row (Recover). Short, so that a killed instance's mail goes
	// out from another within seconds; renewed while the attempt runs, so a slow relay keeps it.
	Lease time.Duration
	// Expire is how long a mail is retried before it fails for good.
	Expire time.Duration
}

// Open returns the queue over d with every statement of the outbox prepared — the package
// functions' too: a broken query fails here, at start. now may be nil (time.Now).
func Open(ctx context.Context, d *db.DB, now func() time.Time) (*Queue, error) {
	return open(ctx, d, queryFiles, now)
}

func open(ctx context.Context, d *db.DB, files fs.FS, now func() time.Time) (*Queue, error) {
	q, err := newQueue(d, files, now)
	if err != nil {
		return nil, err
	}
	if err := d.PrepareAll(ctx, &q.qs); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return q, nil
}

// NewQueue returns the queue over d, its statements prepared on first use. now may be nil
// (time.Now). It panics when the embedded queries do not load, which they always do
// (TestQueriesPrepareOnEveryEngine): they are fixed when the program is built, like a
// regexp.MustCompile. Prefer Open, which prepares them.
func NewQueue(d *db.DB, now func() time.Time) *Queue {
	q, err := newQueue(d, queryFiles, now)
	if err != nil {
		panic(err)
	}
	return q
}

func newQueue(d *db.DB, files fs.FS, now func() time.Time) (*Queue, error) {
	qs, err := loadQueries(files, d.Dialect)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Queue{db: d, now: now, qs: qs, Lease: DefaultLease, Expire: 48 * time.Hour}, nil
}

// DefaultLease is a claim's lease unless Queue.Lease says otherwise. The sender renews what it
// holds every third of it; with its recovery round (as often), a row a killed instance held is
// queued again, or marked uncertain, within a lease and a third of the kill: 20 s.
const DefaultLease = 15 * time.Second

func (q *Queue) clock() time.Time { return q.now().UTC().Truncate(time.Microsecond) }

// Claim takes up to n due rows, recording the attempt (status sending, attempts+1, a lease) before
// the caller dials anything. Several instances on PostgreSQL never claim the same row.
func (q *Queue) Claim(ctx context.Context, n int) ([]Mail, error) {
	now := q.clock()
	var ms []Mail
	err := q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		// One statement per engine (queries/outbox.sql): PostgreSQL's skips rows locked by another
		// instance's claim.
		return q.db.Select(ctx, tx, &ms, q.qs.Claim, Sending, now, now.Add(q.Lease), Queued, now, n)
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return ms, nil
}

// set moves row m from one status to another by transition, one of the named statements taking
// (to, args…, id, from, attempts), and records ev on its ticket in the same transaction. It fails
// if the row is not in from, or no longer in m's claim: every claim counts an attempt, so the
// attempt number fences a stale attempt (its lease ran out, another instance recovered the row
// and claimed it again) off the newer claim — it can neither send the row nor settle it.
func (q *Queue) set(ctx context.Context, m Mail, from, to string, ev *event, transition string, args ...any) error {
	var ids []int64
	err := q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		if err := q.db.Select(ctx, tx, &ids, transition,
			append(append([]any{to}, args...), m.ID, from, m.Attempts)...); err != nil {
			return err
		}
		if len(ids) == 0 || ev == nil || m.TicketID == nil {
			return nil
		}
		return q.addEvent(ctx, tx, *m.TicketID, *ev)
	})
	if err != nil {
		return fmt.Errorf("outbox: %s → %s: %w", from, to, err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("outbox: mail %d is no longer %s in attempt %d", m.ID, from, m.Attempts)
	}
	return nil
}

type event struct{ kind, detail string }

func (q *Queue) addEvent(ctx context.Context, tx *sqlx.Tx, ticketID int64, ev event) error {
	// Written only where the ticket still is (see outbox-event-add).
	return q.db.Exec(ctx, tx, q.qs.EventAdd, ev.kind, "system", ev.detail, q.clock(), ticketID)
}

// MarkData records that the end of DATA is about to be sent. Only after it succeeds may the
// sender send it; if it fails, the sender must abandon the transaction with the relay.
func (q *Queue) MarkData(ctx context.Context, m Mail) error {
	return q.set(ctx, m, Sending, Data, nil, q.qs.MarkData, q.clock().Add(q.Lease))
}

// MarkSent records the relay's acceptance. refused lists recipients the relay refused
// permanently at RCPT time; they are recorded on the ticket.
func (q *Queue) MarkSent(ctx context.Context, m Mail, refused map[string]string) error {
	now := q.clock()
	detail := ""
	for r, why := range refused {
		detail += fmt.Sprintf("; refused %s: %s", r, why)
	}
	detail = strings.TrimPrefix(detail, "; ")
	var ev *event
	if len(refused) > 0 {
		ev = &event{"mail-failed", fmt.Sprintf("%s mail %s: %s", m.Kind, m.MessageID, detail)}
	}
	return q.set(ctx, m, Data, Sent, ev, q.qs.MarkSent, now, detail)
}

// Backoff is the wait before attempt n+1 (n ≥ 1): exponential from one minute, capped at two
// hours, with ±20 % jitter so that mail deferred together does not retry together.
func Backoff(n int) time.Duration {
	d := time.Minute << min(n-1, 7)
	d = min(d, 2*time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Retry records a temporary failure. A mail older than Expire fails for good instead.
func (q *Queue) Retry(ctx context.Context, m Mail, fromStatus string, cause error) error {
	now := q.clock()
	if now.Sub(m.CreatedAt) > q.Expire {
		return q.Fail(ctx, m, fromStatus, fmt.Sprintf("gave up after %d attempts over %s: %v", m.Attempts, q.Expire, cause))
	}
	// At the stored precision: a finer time would be due a fraction later than it says.
	next := now.Add(Backoff(m.Attempts)).Truncate(time.Microsecond)
	return q.set(ctx, m, fromStatus, Queued, nil, q.qs.Retry, next, errText(cause))
}

// Fail records a permanent failure, on the row and on its ticket's event log.
func (q *Queue) Fail(ctx context.Context, m Mail, fromStatus, reason string) error {
	ev := &event{"mail-failed", fmt.Sprintf("%s mail %s to %s: %s", m.Kind, m.MessageID, m.RcptList, reason)}
	return q.set(ctx, m, fromStatus, Failed, ev, q.qs.Fail, reason)
}

// MarkUncertain records that the connection broke after the end of DATA: the relay may have the
// mail, so it is never sent again; the ticket's log says so, for a person to check.
func (q *Queue) MarkUncertain(ctx context.Context, m Mail, cause error) error {
	ev := &event{"mail-uncertain", fmt.Sprintf("%s mail %s to %s may not have been delivered (not resent, to avoid a duplicate): %v", m.Kind, m.MessageID, m.RcptList, cause)}
	return q.set(ctx, m, Data, Uncertain, ev, q.qs.MarkUncertain, errText(cause))
}

func errText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// Recover settles rows whose lease ran out (their instance died): a row still "sending" never
// reached the end of DATA and is queued again; a row in "data" may have been accepted and becomes
// uncertain. It returns how many rows it requeued and marked uncertain.
func (q *Queue) Recover(ctx context.Context) (requeued, uncertain int, err error) {
	now := q.clock()
	var rows []Mail
	err = q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		var ids []int64
		if err := q.db.Select(ctx, tx, &ids, q.qs.RecoverSending, Queued, now, Sending, now); err != nil {
			return err
		}
		requeued = len(ids)
		if err := q.db.Select(ctx, tx, &rows, q.qs.RecoverData,
			Uncertain, "interrupted after the end of DATA", Data, now); err != nil {
			return err
		}
		for _, m := range rows {
			if m.TicketID == nil {
				continue
			}
			ev := event{"mail-uncertain", fmt.Sprintf("%s mail %s to %s may not have been delivered (interrupted; not resent, to avoid a duplicate)", m.Kind, m.MessageID, m.RcptList)}
			if err := q.addEvent(ctx, tx, *m.TicketID, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: recover: %w", err)
	}
	return requeued, len(rows), nil
}

// Renew extends the lease of rows the caller claimed and has not settled, for Lease from now, in
// one transaction: the holder's heartbeat while its attempts run. A row is renewed only while it is
// still in the caller's claim (sending or data, at the attempt it was claimed with); lost lists the
// ones that are not — recovered by another instance after the lease ran out, or settled. Their
// attempts are fenced off already (see set); the caller only stops renewing them.
func (q *Queue) Renew(ctx context.Context, ms []Mail) (lost []int64, err error) {
	if len(ms) == 0 {
		return nil, nil
	}
	until := q.clock().Add(q.Lease)
	err = q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		lost = lost[:0]
		for _, m := range ms {
			var ids []int64
			if err := q.db.Select(ctx, tx, &ids, q.qs.Renew, until, m.ID, m.Attempts, Sending, Data); err != nil {
				return err
			}
			if len(ids) == 0 {
				lost = append(lost, m.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: renew leases: %w", err)
	}
	return lost, nil
}

// NextDue reports when the next queued row is due (ok false when none is queued).
func (q *Queue) NextDue(ctx context.Context) (time.Time, bool, error) {
	var ts []time.Time
	if err := q.db.Select(ctx, nil, &ts, q.qs.NextDue, Queued); err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: next due: %w", err)
	}
	if len(ts) == 0 {
		return time.Time{}, false, nil
	}
	return ts[0], true, nil
}

// Depth counts rows waiting to be sent.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	var n int
	err := q.db.Get(ctx, nil, &n, q.qs.Depth, Queued, Sending, Data)
	return n, err
}

// Get reads one row (tests and the CLI).
func (q *Queue) Get(ctx context.Context, id int64) (Mail, error) {
	var m Mail
	err := q.db.Get(ctx, nil, &m, q.qs.ByID, id)
	if err != nil {
		return Mail{}, fmt.Errorf("outbox: mail %d: %w", id, err)
	}
	return m, nil
}

// Unrendered lists the rows a postdesk older than rendering at queue time left without their
// bytes (queued or claimed, never at the end of DATA), for the upgrade step that renders them.
func (q *Queue) Unrendered(ctx context.Context) ([]Mail, error) {
	var ms []Mail
	if err := q.db.Select(ctx, nil, &ms, q.qs.Unrendered, Queued, Sending); err != nil {
		return nil, fmt.Errorf("outbox: unrendered mail: %w", err)
	}
	return ms, nil
}

// SetRaw stores the bytes of an unrendered row in tx (once: a row that has bytes keeps them).
func (q *Queue) SetRaw(ctx context.Context, tx *sqlx.Tx, id int64, raw []byte) error {
	if len(raw) == 0 {
		return errors.New("outbox: a mail needs its bytes")
	}
	if err := q.db.Exec(ctx, tx, q.qs.SetRaw, raw, id, Queued, Sending); err != nil {
		return fmt.Errorf("outbox: store the bytes of mail %d: %w", id, err)
	}
	return nil
}

// Bounced records a bounce of the mail with Message-ID messageID sent by property propertyID: the
// row is marked failed (whatever it was — the relay accepted it, the destination did not) and the
// ticket's log says why, in one transaction. It reports the ticket, 0 when no such mail was sent.
// Recording the same bounce again changes nothing.
func (q *Queue) Bounced(ctx context.Context, propertyID int64, messageID, reason string) (ticketID int64, err error) {
	err = q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		rows, err := q.BouncedIn(context.WithoutCancel(ctx), tx, propertyID, messageID, reason) // a shared transaction (see db.Batch)
		for _, m := range rows {
			if m.TicketID != nil {
				ticketID = *m.TicketID
			}
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return ticketID, nil
}

// BouncedIn is Bounced inside tx, for a caller that does more in the bounce's transaction (tell
// the agents): it returns the rows it marked failed, none when the bounce was recorded before.
func (q *Queue) BouncedIn(ctx context.Context, tx *sqlx.Tx, propertyID int64, messageID, reason string) ([]Mail, error) {
	var rows []Mail
	if err := q.db.Select(ctx, tx, &rows, q.qs.Bounced,
		Failed, "bounced: "+reason, propertyID, messageID, Failed); err != nil {
		return nil, fmt.Errorf("outbox: record bounce: %w", err)
	}
	for _, m := range rows {
		if m.TicketID == nil {
			continue
		}
		if err := q.addEvent(ctx, tx, *m.TicketID, event{"mail-bounced", fmt.Sprintf("%s mail %s to %s bounced: %s", m.Kind, m.MessageID, m.RcptList, reason)}); err != nil {
			return nil, fmt.Errorf("outbox: record bounce: %w", err)
		}
	}
	return rows, nil
}
