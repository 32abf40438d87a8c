package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// The outbox by hand: what an admin may do to rows the sender has given up on (postdesk outbox).
// Every operation names the statuses it acts on, so a row the sender is working on is never
// touched, and records what it did on the row's ticket.

// Pending is the filter of rows not yet sent: queued, or being sent.
const Pending = "pending"

var (
	// ErrNoMail is returned for an id that names no row.
	ErrNoMail = errors.New("outbox: no such mail")
	// ErrInFlight is returned for a row the sender is working on (sending, data).
	ErrInFlight = errors.New("outbox: the mail is being sent")
	// ErrMayBeDelivered is returned when an uncertain row would be queued again without force:
	// the relay may have it already.
	ErrMayBeDelivered = errors.New("outbox: the mail may already have been delivered (it was interrupted after the end of DATA); sending it again may deliver it twice")
	// ErrNotRetriable is returned for a row that is not failed or uncertain.
	ErrNotRetriable = errors.New("outbox: only a failed or uncertain mail can be retried")
)

// Statuses are the statuses a List filter names ("" is every row not sent).
func Statuses(filter string) ([]string, error) {
	switch filter {
	case "":
		return []string{Queued, Sending, Data, Failed, Uncertain}, nil
	case Pending:
		return []string{Queued, Sending, Data}, nil
	case "all":
		return []string{Queued, Sending, Data, Sent, Failed, Uncertain}, nil
	case Queued, Sending, Data, Sent, Failed, Uncertain:
		return []string{filter}, nil
	}
	return nil, fmt.Errorf("outbox: status %q: pending, failed, uncertain, sent, queued, sending, data or all", filter)
}

// List returns up to limit rows in the statuses filter names (see Statuses), newest first,
// without their bytes.
func (q *Queue) List(ctx context.Context, filter string, limit int) ([]Mail, error) {
	st, err := Statuses(filter)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	args := make([]any, 0, 7)
	for i := range 6 {
		args = append(args, st[i%len(st)])
	}
	ms := []Mail{}
	if err := q.db.Select(ctx, nil, &ms, q.qs.List, append(args, limit)...); err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	return ms, nil
}

// Requeue queues the failed or uncertain row id again, due now. An uncertain row needs force:
// the relay may have delivered it already. It returns the row as it was.
func (q *Queue) Requeue(ctx context.Context, id int64, force bool) (Mail, error) {
	m, err := q.Get(ctx, id)
	if err != nil {
		return Mail{}, q.missing(err, id)
	}
	switch {
	case m.Status == Uncertain && !force:
		return m, ErrMayBeDelivered
	case m.Status != Failed && m.Status != Uncertain:
		return m, fmt.Errorf("%w (mail %d is %s)", ErrNotRetriable, id, m.Status)
	}
	var rows []Mail
	err = q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		if err := q.db.Select(ctx, tx, &rows, q.qs.Requeue, Queued, q.clock(), id, m.Status); err != nil {
			return err
		}
		return q.requeued(ctx, tx, rows, m.Status)
	})
	if err != nil {
		return Mail{}, fmt.Errorf("outbox: retry mail %d: %w", id, err)
	}
	if len(rows) == 0 {
		return Mail{}, fmt.Errorf("outbox: mail %d changed meanwhile; look again", id)
	}
	return m, nil
}

// RequeueFailed queues every failed row again, due now (never an uncertain one), and returns them.
func (q *Queue) RequeueFailed(ctx context.Context) ([]Mail, error) {
	rows := []Mail{}
	err := q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		if err := q.db.Select(ctx, tx, &rows, q.qs.RequeueAll, Queued, q.clock(), Failed); err != nil {
			return err
		}
		return q.requeued(ctx, tx, rows, Failed)
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: retry failed mail: %w", err)
	}
	return rows, nil
}

func (q *Queue) requeued(ctx context.Context, tx *sqlx.Tx, rows []Mail, was string) error {
	for _, m := range rows {
		if m.TicketID == nil {
			continue
		}
		ev := event{"mail-requeued", fmt.Sprintf("%s mail %s to %s queued again by hand (it was %s: %s)", m.Kind, m.MessageID, m.RcptList, was, m.LastError)}
		if err := q.addEvent(ctx, tx, *m.TicketID, ev); err != nil {
			return err
		}
	}
	return nil
}

// Drop deletes row id, which must be queued, failed or uncertain (never one being sent), and
// returns it.
func (q *Queue) Drop(ctx context.Context, id int64) (Mail, error) {
	var rows []Mail
	err := q.db.Batch(ctx, func(tx *sqlx.Tx) error {
		ctx := context.WithoutCancel(ctx) // a shared transaction (see db.Batch)
		if err := q.db.Select(ctx, tx, &rows, q.qs.Drop, id, Queued, Failed, Uncertain); err != nil {
			return err
		}
		for _, m := range rows {
			if m.TicketID == nil {
				continue
			}
			ev := event{"mail-dropped", fmt.Sprintf("%s mail %s to %s dropped by hand, never sent (it was %s)", m.Kind, m.MessageID, m.RcptList, m.Status)}
			if err := q.addEvent(ctx, tx, *m.TicketID, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Mail{}, fmt.Errorf("outbox: drop mail %d: %w", id, err)
	}
	if len(rows) == 1 {
		return rows[0], nil
	}
	m, err := q.Get(ctx, id)
	if err != nil {
		return Mail{}, q.missing(err, id)
	}
	switch m.Status {
	case Sending, Data:
		return m, fmt.Errorf("%w: mail %d is %s; try again once it is settled", ErrInFlight, id, m.Status)
	case Sent:
		return m, fmt.Errorf("outbox: mail %d was sent already", id)
	}
	return m, fmt.Errorf("outbox: mail %d changed meanwhile; look again", id)
}

func (q *Queue) missing(err error, id int64) error {
	if db.IsNoRows(err) {
		return fmt.Errorf("%w: %d", ErrNoMail, id)
	}
	return err
}
