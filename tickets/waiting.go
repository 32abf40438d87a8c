package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Who is waiting. A ticket's status (open, closed) says whether there is work on it; its waiting
// side says whose turn it is: an open ticket waits for us when the last person's message is the
// customer's (someone asked and nobody answered, or nobody has written yet), for the customer when
// it is an agent's reply to them. Notes, agents' mail that went to no customer (held, refused, a
// command), and robots' mail (auto-replies, bounces, list mail the property ignores) change
// nothing: only people count. A closed ticket waits for nobody.
//
// The rule is one statement, ticket-settle-waiting (queries/waiting.sql), which derives the
// columns from the ticket's messages, status and last reopening; settleWaiting runs it, in the
// transaction of every change that stores a message, removes one or changes a status: mail in
// (deliver.go, agentmail.go), replies (agent.go, stale.go), closing and reopening, and a snooze
// waking a closed ticket (ops.go), a merge (both tickets, merge.go), blocking a sender
// (contacts.go). A change that touches none of these (a note, tags, priority, assignment, a
// snooze, trash, spam) leaves it as it is. A closed ticket whose snooze ends is reopened (a
// "reopened" event besides "woke"), so it waits from then, as a ticket reopened by hand. The first
// response is the first agent reply stored at or after the ticket's creation and, once set, never
// moves (a merge bringing an earlier reply leaves it). Mail of a sender marked as spam counts as a
// person's: it goes to a ticket in spam, out of the views, and counting it keeps the rule to the
// ticket's own rows (no look-up of the contact per message, no settling of all a contact's
// tickets when the mark changes). The property's IgnoreListMail is read when a ticket is
// settled: turning it over changes a ticket's side at its next settling, not at once.

// Waiting sides (Ticket.Waiting).
const (
	WaitingUs       = "us"       // the customer waits for an answer
	WaitingCustomer = "customer" // we answered; the customer has the next word
)

// WaitingSides are the values of the waiting filter.
var WaitingSides = []string{WaitingUs, WaitingCustomer}

// The "waiting" sort's keys: waiting for us first, then for the customer, then closed tickets;
// within a side, the longest waiting first (a closed ticket by when it last changed). Both are the
// expressions of the index tickets_list_waiting (migration 0021), so the list is read in order.
const (
	waitingRank = `CASE t.waiting WHEN 'us' THEN 0 WHEN 'customer' THEN 1 ELSE 2 END`
	waitingKey  = `COALESCE(t.waiting_since, t.updated_at)`
)

// waitingRankOf is waitingRank of a side as read (nil: closed).
func waitingRankOf(side *string) int {
	switch {
	case side == nil:
		return 2
	case *side == WaitingUs:
		return 0
	case *side == WaitingCustomer:
		return 1
	}
	return 2
}

// settleWaiting derives who ticket ticketID waits for, since when, and its first response, inside
// tx, after the change that may have moved them.
func (s *Store) settleWaiting(ctx context.Context, tx *sqlx.Tx, ticketID int64) error {
	if err := s.db.Exec(ctx, tx, s.qs.TicketSettleWaiting, ticketID); err != nil {
		return fmt.Errorf("tickets: who is waiting: %w", err)
	}
	return nil
}

// WaitingForUs reports whether the ticket waits for an answer of ours.
func (t Ticket) WaitingForUs() bool { return t.Waiting != nil && *t.Waiting == WaitingUs }

// WaitingForCustomer reports whether we answered and the customer has the next word.
func (t Ticket) WaitingForCustomer() bool { return t.Waiting != nil && *t.Waiting == WaitingCustomer }

// WaitingFor is how long the customer has waited for an answer at now; 0 unless the ticket waits
// for us.
func (t Ticket) WaitingFor(now time.Time) time.Duration {
	if !t.WaitingForUs() || t.WaitingSince == nil {
		return 0
	}
	return max(now.Sub(*t.WaitingSince), 0)
}

// FirstResponseTime is how long the customer waited for the first agent reply, from the ticket's
// opening (0 for a ticket an agent opened: the customer spoke second); ok is false until there is
// one.
func (t Ticket) FirstResponseTime() (d time.Duration, ok bool) {
	if t.FirstResponseAt == nil {
		return 0, false
	}
	return max(t.FirstResponseAt.Sub(t.CreatedAt), 0), true
}

// ResolutionTime is how long the ticket took from its opening to its closing; ok is false while
// it is open (a reopened ticket is resolved again when it is closed again).
func (t Ticket) ResolutionTime() (d time.Duration, ok bool) {
	if t.Status != StatusClosed || t.ClosedAt == nil {
		return 0, false
	}
	return max(t.ClosedAt.Sub(t.CreatedAt), 0), true
}

// SettleWaitingAll runs the rule over every ticket of property propertyID and returns how many it
// changed: for tickets written by other means than the store (postdesk-bench seed), as migration
// 0021 ran it over every ticket. The statement is the rule's, over the property's tickets.
func (s *Store) SettleWaitingAll(ctx context.Context, propertyID int64) (int64, error) {
	q := strings.Replace(s.qs.TicketSettleWaiting, "WHERE t.id = ?", "WHERE t.property_id = ?", 1)
	if q == s.qs.TicketSettleWaiting {
		return 0, fmt.Errorf("tickets: who is waiting: the rule has no WHERE t.id = ?")
	}
	res, err := s.db.DB.ExecContext(ctx, s.db.Rebind(q), propertyID)
	if err != nil {
		return 0, fmt.Errorf("tickets: who is waiting: %w", err)
	}
	return res.RowsAffected()
}
