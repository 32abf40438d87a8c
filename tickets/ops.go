package tickets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/tickets/rules"
)

// The operations agents run on one ticket — by mail command, CLI or API. Each is one transaction
// that writes an event naming its actor; the tx-level forms (set*) let a mail's commands run in the
// transaction that stores the mail.

// SetPriority changes a ticket's priority (low, normal, high, urgent).
func (s *Store) SetPriority(ctx context.Context, p Property, number int64, actor Agent, priority string) (Ticket, error) {
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		return s.setPriority(ctx, tx, id, AgentActor(actor), priority)
	})
}

// Retag adds and removes tags (lowercase words of up to 64 characters).
func (s *Store) Retag(ctx context.Context, p Property, number int64, actor Agent, add, remove []string) (Ticket, error) {
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		return s.retag(ctx, tx, id, AgentActor(actor), add, remove)
	})
}

// Snooze hides an open ticket from the open views until the given time, when WakeSnoozed returns
// it open; a reply from the customer wakes it sooner. Closing or reopening clears a snooze.
func (s *Store) Snooze(ctx context.Context, p Property, number int64, actor Agent, until time.Time) (Ticket, error) {
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		return s.snooze(ctx, tx, id, AgentActor(actor), until)
	})
}

// Unsnooze returns a snoozed ticket to the open views now.
func (s *Store) Unsnooze(ctx context.Context, p Property, number int64, actor Agent) (Ticket, error) {
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		now := s.Now()
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.TicketUnsnooze, now, id); err != nil {
			return fmt.Errorf("tickets: unsnooze: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		return s.addEvent(ctx, tx, id, "unsnoozed", AgentActor(actor), "", now)
	})
}

// Woken is a ticket whose snooze ended.
type Woken struct {
	PropertyID int64 `db:"property_id"`
	TicketID   int64 `db:"id"`
	Number     int64 `db:"number"`
}

// WakeSnoozed returns to the open views every ticket whose snooze has ended — once, whichever
// instance gets there first: the UPDATE claims the rows it changes. Call it periodically; a
// restart loses nothing, the time is in the database. The hooks are told of each woken ticket
// (ChangeSnoozeEnded) in the same transaction.
func (s *Store) WakeSnoozed(ctx context.Context) ([]Woken, error) {
	var woken []Woken
	err := s.db.TxRetry(ctx, func(tx *sqlx.Tx) error {
		woken = nil
		now := s.Now()
		// A closed ticket snoozed wakes open: that is a reopening, which the waiting rule counts
		// from (a customer's old message does not make it wait since before it was closed).
		var closed []int64
		if err := s.db.Select(ctx, tx, &closed, s.qs.TicketsDueClosed, now, StatusClosed); err != nil {
			return fmt.Errorf("tickets: wake snoozed: %w", err)
		}
		if err := s.db.Select(ctx, tx, &woken, s.qs.TicketsWakeSnoozed, StatusOpen, now, now); err != nil {
			return fmt.Errorf("tickets: wake snoozed: %w", err)
		}
		props := map[int64]Property{}
		for _, w := range woken {
			if err := s.addEvent(ctx, tx, w.TicketID, "woke", ActorSystem, "the snooze ended", now); err != nil {
				return err
			}
			if slices.Contains(closed, w.TicketID) {
				if err := s.addEvent(ctx, tx, w.TicketID, "reopened", ActorSystem, "woke from its snooze", now); err != nil {
					return err
				}
			}
			if err := s.settleWaiting(ctx, tx, w.TicketID); err != nil {
				return err
			}
			p, ok := props[w.PropertyID]
			if !ok {
				var err error
				if p, err = s.propertyIn(ctx, tx, w.PropertyID); err != nil {
					return err
				}
				props[w.PropertyID] = p
			}
			// The audience is told in this transaction: one mail per woken ticket, once.
			if err := s.runHooks(ctx, tx, Change{Kind: ChangeSnoozeEnded, Property: p, TicketID: w.TicketID}); err != nil {
				return err
			}
		}
		return nil
	})
	return woken, err
}

// Note posts an internal note on a ticket: stored and copied to the other agents involved, never
// sent to the customer.
func (s *Store) Note(ctx context.Context, p Property, number int64, by Agent, out Outgoing, messageID string) (Ticket, error) {
	if strings.TrimSpace(out.Text) == "" && strings.TrimSpace(out.SavedReply) == "" {
		return Ticket{}, fmt.Errorf("tickets: %w: the note is empty", ErrInvalid)
	}
	a, err := s.AgentByEmail(ctx, p.ID, by.Email)
	if err != nil {
		return Ticket{}, err
	}
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		t := Ticket{ID: id}
		if err := s.db.Get(ctx, tx, &t.Subject, s.qs.TicketSubject, id); err != nil {
			return fmt.Errorf("tickets: note: %w", err)
		}
		out, err := s.withSavedReply(ctx, tx, p, id, a, out)
		if err != nil {
			return err
		}
		msgID, err := s.insertOutgoing(ctx, tx, p, id, a, t.Subject, out, messageID, DirectionNote)
		if err != nil {
			return err
		}
		now := s.Now()
		if err := s.db.Exec(ctx, tx, s.qs.TicketCountMessage, now, id); err != nil {
			return fmt.Errorf("tickets: note: %w", err)
		}
		if err := s.addEvent(ctx, tx, id, "noted", AgentActor(a), "", now); err != nil {
			return err
		}
		return s.runHooks(ctx, tx, Change{Kind: ChangeAgentNote, Property: p, TicketID: id, MessageID: msgID, AgentID: a.ID, Human: true})
	})
}

// onTicket runs fn on a property's ticket (not in the trash) in a transaction, then reads it back.
func (s *Store) onTicket(ctx context.Context, p Property, number int64, fn func(tx *sqlx.Tx, id int64) error) (Ticket, error) {
	return s.onTicketOf(ctx, p.ID, number, fn)
}

func (s *Store) onTicketOf(ctx context.Context, propertyID, number int64, fn func(tx *sqlx.Tx, id int64) error) (Ticket, error) {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.TicketIDByNumber, propertyID, number); err != nil {
			return fmt.Errorf("tickets: ticket #%d: %w", number, err)
		}
		if len(ids) == 0 {
			return s.notFound(ctx, tx, propertyID, number)
		}
		return fn(tx, ids[0])
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, propertyID, number)
}

func (s *Store) setPriority(ctx context.Context, tx *sqlx.Tx, id int64, actor Actor, priority string) error {
	priority = strings.ToLower(strings.TrimSpace(priority))
	if !rules.ValidPriority(priority) {
		return fmt.Errorf("tickets: %w: priority %q: one of %s", ErrInvalid, priority, strings.Join(Priorities, ", "))
	}
	now := s.Now()
	var ids []int64
	if err := s.db.Select(ctx, tx, &ids, s.qs.TicketSetPriority, priority, now, id, priority); err != nil {
		return fmt.Errorf("tickets: priority: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	return s.addEvent(ctx, tx, id, "priority", actor, priority, now)
}

func (s *Store) retag(ctx context.Context, tx *sqlx.Tx, id int64, actor Actor, add, remove []string) error {
	now := s.Now()
	changed := false
	for _, tag := range add {
		tag = strings.ToLower(strings.TrimSpace(tag))
		var had int
		if err := s.db.Get(ctx, tx, &had, s.qs.TicketTagCount, id, tag); err != nil {
			return fmt.Errorf("tickets: tag: %w", err)
		}
		if err := s.addTag(ctx, tx, id, tag); err != nil {
			return err
		}
		if had > 0 {
			continue
		}
		changed = true
		if err := s.addEvent(ctx, tx, id, "tagged", actor, tag, now); err != nil {
			return err
		}
	}
	for _, tag := range remove {
		tag = strings.ToLower(strings.TrimSpace(tag))
		var gone []string
		if err := s.db.Select(ctx, tx, &gone, s.qs.TicketTagRemove, id, tag); err != nil {
			return fmt.Errorf("tickets: untag: %w", err)
		}
		if len(gone) == 0 {
			continue
		}
		changed = true
		if err := s.addEvent(ctx, tx, id, "untagged", actor, tag, now); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return s.db.Exec(ctx, tx, s.qs.TicketTouch, now, id)
}

func (s *Store) snooze(ctx context.Context, tx *sqlx.Tx, id int64, actor Actor, until time.Time) error {
	now := s.Now()
	until = until.UTC().Truncate(time.Microsecond)
	if !until.After(now) {
		return fmt.Errorf("tickets: %w: snooze until %s: that is not in the future", ErrInvalid, until.Format(time.RFC3339))
	}
	if until.After(now.AddDate(1, 0, 0)) {
		return fmt.Errorf("tickets: %w: snooze until %s: at most a year ahead", ErrInvalid, until.Format(time.RFC3339))
	}
	// Snoozing a closed ticket opens it again when it wakes: snoozed means "come back to this".
	if err := s.db.Exec(ctx, tx, s.qs.TicketSnooze, until, now, id); err != nil {
		return fmt.Errorf("tickets: snooze: %w", err)
	}
	return s.addEvent(ctx, tx, id, "snoozed", actor, "until "+until.Format(time.RFC3339), now)
}

// setStatus closes or reopens a ticket of p inside tx; no change when it is there already. A close
// returns the ChangeClosed to tell the hooks of (by: the closing agent, 0 for the command line);
// the caller tells them once the rest of its change is told, so that a reply with #close reaches
// the customer before the close mail. A spam ticket's customer is never answered: its change is
// not Human, like the mail of a sender marked as spam.
func (s *Store) setStatus(ctx context.Context, tx *sqlx.Tx, p Property, id int64, actor Actor, by int64, status string) (*Change, error) {
	now := s.Now()
	var closedAt *time.Time
	event := "reopened"
	if status == StatusClosed {
		closedAt, event = &now, "closed"
	}
	var rows []struct {
		ID   int64 `db:"id"`
		Spam bool  `db:"spam"`
	}
	if err := s.db.Select(ctx, tx, &rows, s.qs.TicketSetStatus, status, closedAt, now, id, status); err != nil {
		return nil, fmt.Errorf("tickets: %s: %w", event, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if err := s.addEvent(ctx, tx, id, event, actor, "", now); err != nil {
		return nil, err
	}
	// Closed: nobody waits. Reopened: whoever had the last word waits (after the event, which
	// starts the customer's wait anew).
	if err := s.settleWaiting(ctx, tx, id); err != nil {
		return nil, err
	}
	if status != StatusClosed {
		return nil, nil
	}
	return &Change{Kind: ChangeClosed, Property: p, TicketID: id, AgentID: by, Human: !rows[0].Spam}, nil
}

// assign assigns a ticket inside tx to an agent or a department (IDs from assignee); the hooks
// tell the new assignee, never the agent who assigned.
func (s *Store) assign(ctx context.Context, tx *sqlx.Tx, p Property, id int64, actor Agent, agentID, deptID int64, target string) error {
	now := s.Now()
	if err := s.db.Exec(ctx, tx, s.qs.TicketAssign,
		nullID(agentID), nullID(deptID), now, id); err != nil {
		return fmt.Errorf("tickets: assign: %w", err)
	}
	if err := s.addEvent(ctx, tx, id, "assigned", AgentActor(actor), target, now); err != nil {
		return err
	}
	return s.runHooks(ctx, tx, Change{Kind: ChangeAssigned, Property: p, TicketID: id, AgentID: actor.ID, Human: true})
}

// Unassign takes a ticket from its agent or department: it is unassigned again, and the
// notifications of new mail go to the property's default department or all its agents.
func (s *Store) Unassign(ctx context.Context, p Property, number int64, actor Agent) (Ticket, error) {
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		now := s.Now()
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.TicketUnassign, now, id); err != nil {
			return fmt.Errorf("tickets: unassign: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		return s.addEvent(ctx, tx, id, "unassigned", AgentActor(actor), "", now)
	})
}
