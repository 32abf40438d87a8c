// Package outbox is postdesk's durable queue of outgoing mail (the transactional outbox of
// DESIGN.md §1): rows are enqueued in the transaction of the change that causes them, and the
// sender claims, attempts and settles them. Every state change of a row is a database write made
// before the step it allows, so a crash anywhere loses nothing and sends nothing twice.
package outbox

import (
	"context"
	"errors"
	"fmt"
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
	err := d.Get(ctx, tx, &id, `INSERT INTO outbox (property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.PropertyID, ticket, m.MessageID, m.Kind, m.Automatic, m.From, strings.Join(m.Rcpts, ","), m.Spec, m.Raw, Queued, now, now)
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue: %w", err)
	}
	return id, nil
}

// RecentAutomatic counts automatic mails queued to rcpt since since (the loop breaker's count).
func RecentAutomatic(ctx context.Context, d *db.DB, tx *sqlx.Tx, rcpt string, since time.Time) (int, error) {
	since = since.UTC().Truncate(time.Microsecond)
	var n int
	err := d.Get(ctx, tx, &n, `SELECT COUNT(*) FROM outbox WHERE rcpts = ? AND automatic = ? AND created_at > ?`, rcpt, true, since)
	if err != nil {
		return 0, fmt.Errorf("outbox: count automatic mail: %w", err)
	}
	return n, nil
}

// Queue is the sender's side of the outbox.
type Queue struct {
	db  *db.DB
	now func() time.Time
	// Lease is how long a claim holds a row before another instance may recover it.
	Lease time.Duration
	// Expire is how long a mail is retried before it fails for good.
	Expire time.Duration
}

// NewQueue returns the queue over d. now may be nil (time.Now).
func NewQueue(d *db.DB, now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	return &Queue{db: d, now: now, Lease: 5 * time.Minute, Expire: 48 * time.Hour}
}

func (q *Queue) clock() time.Time { return q.now().UTC().Truncate(time.Microsecond) }

const mailCols = `id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at`

// Claim takes up to n due rows, recording the attempt (status sending, attempts+1, a lease) before
// the caller dials anything. Several instances on PostgreSQL never claim the same row.
func (q *Queue) Claim(ctx context.Context, n int) ([]Mail, error) {
	now := q.clock()
	pick := `SELECT id FROM outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`
	if q.db.Dialect == db.Postgres {
		pick += ` FOR UPDATE SKIP LOCKED` // dialect-specific: SQLite has one writer and no row locks
	}
	var ms []Mail
	err := q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		return q.db.Select(ctx, tx, &ms, `UPDATE outbox SET status = ?, attempts = attempts + 1, last_attempt_at = ?, lease_until = ?
			WHERE id IN (`+pick+`) RETURNING `+mailCols, Sending, now, now.Add(q.Lease), Queued, now, n)
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return ms, nil
}

// set moves row id from one status to another, and records ev on its ticket in the same
// transaction; it fails if the row is not in from (another instance recovered it after our lease
// ran out).
func (q *Queue) set(ctx context.Context, m Mail, from, to string, ev *event, set string, args ...any) error {
	var ids []int64
	err := q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		if err := q.db.Select(ctx, tx, &ids, `UPDATE outbox SET status = ?`+set+` WHERE id = ? AND status = ? RETURNING id`,
			append(append([]any{to}, args...), m.ID, from)...); err != nil {
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
		return fmt.Errorf("outbox: mail %d is no longer %s", m.ID, from)
	}
	return nil
}

type event struct{ kind, detail string }

func (q *Queue) addEvent(ctx context.Context, tx *sqlx.Tx, ticketID int64, ev event) error {
	// The ticket may have been purged while its mail was on the way: the mail's own state is what
	// matters then, so the event is written only where the ticket still is.
	return q.db.Exec(ctx, tx, `INSERT INTO ticket_events (ticket_id, kind, actor, detail, created_at)
		SELECT id, ?, ?, ?, ? FROM tickets WHERE id = ?`, ev.kind, "system", ev.detail, q.clock(), ticketID)
}

// MarkData records that the end of DATA is about to be sent. Only after it succeeds may the
// sender send it; if it fails, the sender must abandon the transaction with the relay.
func (q *Queue) MarkData(ctx context.Context, id int64) error {
	return q.set(ctx, Mail{ID: id}, Sending, Data, nil, `, lease_until = ?`, q.clock().Add(q.Lease))
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
	return q.set(ctx, m, Data, Sent, ev, `, sent_at = ?, lease_until = NULL, last_error = ?`, now, detail)
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
	return q.set(ctx, m, fromStatus, Queued, nil, `, next_attempt_at = ?, lease_until = NULL, last_error = ?`, next, errText(cause))
}

// Fail records a permanent failure, on the row and on its ticket's event log.
func (q *Queue) Fail(ctx context.Context, m Mail, fromStatus, reason string) error {
	ev := &event{"mail-failed", fmt.Sprintf("%s mail %s to %s: %s", m.Kind, m.MessageID, m.RcptList, reason)}
	return q.set(ctx, m, fromStatus, Failed, ev, `, lease_until = NULL, last_error = ?`, reason)
}

// MarkUncertain records that the connection broke after the end of DATA: the relay may have the
// mail, so it is never sent again; the ticket's log says so, for a person to check.
func (q *Queue) MarkUncertain(ctx context.Context, m Mail, cause error) error {
	ev := &event{"mail-uncertain", fmt.Sprintf("%s mail %s to %s may not have been delivered (not resent, to avoid a duplicate): %v", m.Kind, m.MessageID, m.RcptList, cause)}
	return q.set(ctx, m, Data, Uncertain, ev, `, lease_until = NULL, last_error = ?`, errText(cause))
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
		if err := q.db.Select(ctx, tx, &ids, `UPDATE outbox SET status = ?, lease_until = NULL, next_attempt_at = ? WHERE status = ? AND lease_until < ? RETURNING id`,
			Queued, now, Sending, now); err != nil {
			return err
		}
		requeued = len(ids)
		if err := q.db.Select(ctx, tx, &rows, `UPDATE outbox SET status = ?, lease_until = NULL, last_error = ? WHERE status = ? AND lease_until < ? RETURNING `+mailCols,
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

// NextDue reports when the next queued row is due (ok false when none is queued).
func (q *Queue) NextDue(ctx context.Context) (time.Time, bool, error) {
	var ts []time.Time
	if err := q.db.SelectContext(ctx, &ts, q.db.Rebind(`SELECT next_attempt_at FROM outbox WHERE status = ? ORDER BY next_attempt_at LIMIT 1`), Queued); err != nil {
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
	err := q.db.GetContext(ctx, &n, q.db.Rebind(`SELECT COUNT(*) FROM outbox WHERE status IN (?, ?, ?)`), Queued, Sending, Data)
	return n, err
}

// Get reads one row (tests and the CLI).
func (q *Queue) Get(ctx context.Context, id int64) (Mail, error) {
	var m Mail
	err := q.db.GetContext(ctx, &m, q.db.Rebind(`SELECT `+mailCols+` FROM outbox WHERE id = ?`), id)
	if err != nil {
		return Mail{}, fmt.Errorf("outbox: mail %d: %w", id, err)
	}
	return m, nil
}

// Bounced records a bounce of the mail with Message-ID messageID sent by property propertyID: the
// row is marked failed (whatever it was — the relay accepted it, the destination did not) and the
// ticket's log says why, in one transaction. It reports the ticket, 0 when no such mail was sent.
// Recording the same bounce again changes nothing.
func (q *Queue) Bounced(ctx context.Context, propertyID int64, messageID, reason string) (ticketID int64, err error) {
	err = q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		var rows []Mail
		if err := q.db.Select(ctx, tx, &rows, `UPDATE outbox SET status = ?, last_error = ? WHERE property_id = ? AND message_id = ? AND status <> ? RETURNING `+mailCols,
			Failed, "bounced: "+reason, propertyID, messageID, Failed); err != nil {
			return err
		}
		for _, m := range rows {
			if m.TicketID == nil {
				continue
			}
			ticketID = *m.TicketID
			if err := q.addEvent(ctx, tx, ticketID, event{"mail-bounced", fmt.Sprintf("%s mail %s to %s bounced: %s", m.Kind, m.MessageID, m.RcptList, reason)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: record bounce: %w", err)
	}
	return ticketID, nil
}
