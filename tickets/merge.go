package tickets

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// Merging: when threading missed (a customer wrote twice from two addresses, two agents opened
// the same issue), an agent merges ticket B into ticket A. B's messages (with their attachments),
// Message-IDs, participants, tags, events and mail move to A; B stays as a pointer (tickets.
// merged_into_ticket_id, migration 0020): closed, in no view and no count, its number redirecting
// to A, and mail that would have joined B — a reply to one of its mails, its reply token, its
// [#B] — joins A (txLookup.one). A's customer stays A's; B's customer becomes a Cc of A, so
// agents' replies on A reach them too: merging two customers' tickets is the agent's explicit
// choice, never done automatically. Nobody is mailed: each ticket's log says what happened. A
// merge is not undone.

// ChangeMerged tells the hooks that a ticket was merged into TicketID. notify mails no one.
const ChangeMerged ChangeKind = "merged"

// ErrMerged is what errors.Is finds in a MergedError.
var ErrMerged = errors.New("merged")

// MergedError is a ticket number that was merged into another: it is not found as a ticket of
// its own (errors.Is ErrNotFound, and ErrMerged), and says where it went. The API answers a
// read of it with a redirect, the web inbox redirects, the CLI shows the other ticket.
type MergedError struct {
	Number, Into int64
}

func (e *MergedError) Error() string {
	return fmt.Sprintf("tickets: ticket #%d was merged into #%d", e.Number, e.Into)
}

// Is makes a merged ticket not found, and merged.
func (e *MergedError) Is(target error) bool { return target == ErrNotFound || target == ErrMerged }

// notFound is the error for a property's ticket number that no query found: a MergedError when
// the number is a merged ticket's, else ErrNotFound. tx may be nil.
func (s *Store) notFound(ctx context.Context, tx *sqlx.Tx, propertyID, number int64) error {
	var into []int64
	if err := s.db.Select(ctx, tx, &into, s.qs.TicketMergedInto, propertyID, number); err != nil {
		return fmt.Errorf("tickets: ticket #%d: %w", number, err)
	}
	if len(into) > 0 {
		return &MergedError{Number: number, Into: into[0]}
	}
	return fmt.Errorf("tickets: ticket #%d: %w", number, ErrNotFound)
}

// mergeSide is one ticket of a merge as read in its transaction.
type mergeSide struct {
	ID         int64      `db:"id"`
	Number     int64      `db:"number"`
	Subject    string     `db:"subject"`
	ContactID  *int64     `db:"contact_id"`
	DeletedAt  *time.Time `db:"deleted_at"`
	MergedInto *int64     `db:"merged_into"`
}

// mergeSideOf reads ticket number of the property for a merge, refusing a merged or trashed one.
func (s *Store) mergeSideOf(ctx context.Context, tx *sqlx.Tx, propertyID, number int64, role string) (mergeSide, error) {
	var rows []mergeSide
	if err := s.db.Select(ctx, tx, &rows, s.qs.MergeTicket, propertyID, number); err != nil {
		return mergeSide{}, fmt.Errorf("tickets: merge: ticket #%d: %w", number, err)
	}
	if len(rows) == 0 {
		return mergeSide{}, fmt.Errorf("tickets: merge: ticket #%d: %w", number, ErrNotFound)
	}
	t := rows[0]
	switch {
	case t.MergedInto != nil && role == "into":
		return t, fmt.Errorf("tickets: %w: merge into #%d: it was merged into #%d; merge into #%d", ErrInvalid, number, *t.MergedInto, *t.MergedInto)
	case t.MergedInto != nil:
		return t, fmt.Errorf("tickets: %w: merge #%d: it was merged into #%d already", ErrInvalid, number, *t.MergedInto)
	case t.DeletedAt != nil:
		return t, fmt.Errorf("tickets: %w: merge: ticket #%d is in the trash; restore it first", ErrInvalid, number)
	}
	return t, nil
}

// Merge merges ticket from into ticket into, both of property p (a number of another property is
// not found), in one transaction, and returns the ticket merged into. It refuses a ticket merged
// into itself, a ticket merged already (on either side: a pointer is one hop, so merge into the
// ticket it points to) and one in the trash (restore it first). A's state — status, assignee,
// priority, snooze — stays as it is; its message count and updated time follow. Tickets that
// followed up B follow up A; tickets merged into B before point to A.
func (s *Store) Merge(ctx context.Context, p Property, into, from int64, by Actor) (Ticket, error) {
	if into == from {
		return Ticket{}, fmt.Errorf("tickets: %w: merge #%d: a ticket cannot be merged into itself", ErrInvalid, from)
	}
	err := s.db.TxRetry(ctx, func(tx *sqlx.Tx) error {
		a, err := s.mergeSideOf(ctx, tx, p.ID, into, "into")
		if err != nil {
			return err
		}
		b, err := s.mergeSideOf(ctx, tx, p.ID, from, "from")
		if err != nil {
			return err
		}
		return s.merge(ctx, tx, p, a.ID, into, b, by)
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, p.ID, into)
}

// merge merges ticket b into the ticket of ID aID (number into) inside tx, both read and checked
// (mergeSideOf) by the caller: Merge, or a #merge command in an agent's reply to A.
func (s *Store) merge(ctx context.Context, tx *sqlx.Tx, p Property, aID, into int64, b mergeSide, by Actor) error {
	a := mergeSide{ID: aID, Number: into}
	from := b.Number
	now := s.Now()
	// Both rows first, each only while still neither merged nor trashed: a concurrent merge
	// or trash is seen here (the engine re-checks the condition on the row it waited for).
	var ids []int64
	if err := s.db.Select(ctx, tx, &ids, s.qs.MergePoint, a.ID, now, now, b.ID); err != nil {
		return fmt.Errorf("tickets: merge #%d: %w", from, err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("tickets: %w: merge #%d: it changed meanwhile; try again", ErrInvalid, from)
	}
	ids = nil
	if err := s.db.Select(ctx, tx, &ids, s.qs.MergeTouchInto, now, b.ID, a.ID); err != nil {
		return fmt.Errorf("tickets: merge into #%d: %w", into, err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("tickets: %w: merge into #%d: it changed meanwhile; try again", ErrInvalid, into)
	}
	steps := []struct{ what, query string }{
		{"messages", s.qs.MergeMessages},
		{"message-ids", s.qs.MergeThreadIDs},
		{"events", s.qs.MergeEvents},
		{"mail", s.qs.MergeOutbox},
		{"tags", s.qs.MergeTags},
		{"participants", s.qs.MergeParticipants},
		{"loop holds", s.qs.MergeLoopHolds},
		{"pointers", s.qs.MergePointers},
	}
	for _, st := range steps {
		if err := s.db.Exec(ctx, tx, st.query, a.ID, b.ID); err != nil {
			return fmt.Errorf("tickets: merge #%d: %s: %w", from, st.what, err)
		}
	}
	for _, st := range []struct{ what, query string }{
		{"tags", s.qs.MergeTagsDrop},
		{"participants", s.qs.MergeParticipantsDrop},
		{"loop holds", s.qs.MergeLoopHoldsDrop},
		{"read state", s.qs.MergeReadsDrop},
	} {
		if err := s.db.Exec(ctx, tx, st.query, b.ID); err != nil {
			return fmt.Errorf("tickets: merge #%d: %s: %w", from, st.what, err)
		}
	}
	if err := s.db.Exec(ctx, tx, s.qs.MergeFollowUps, a.ID, b.ID, a.ID); err != nil {
		return fmt.Errorf("tickets: merge #%d: follow-ups: %w", from, err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.MergeCount, a.ID, a.ID); err != nil {
		return fmt.Errorf("tickets: merge into #%d: count: %w", into, err)
	}
	// A holds both threads now: whoever had the last word of them waits; B, closed, waits for
	// nobody.
	for _, id := range []int64{a.ID, b.ID} {
		if err := s.settleWaiting(ctx, tx, id); err != nil {
			return err
		}
	}
	if err := s.addEvent(ctx, tx, b.ID, "merged-into", by, fmt.Sprintf("#%d", into), now); err != nil {
		return err
	}
	if err := s.addEvent(ctx, tx, a.ID, "merged", by, fmt.Sprintf("#%d %s", from, b.Subject), now); err != nil {
		return err
	}
	s.log.Info("ticket merged", "property", p.Slug, "ticket", from, "into", into, "actor", by)
	// Not Human: nobody is mailed of a merge (notify answers only people's changes).
	return s.runHooks(ctx, tx, Change{Kind: ChangeMerged, Property: p, TicketID: a.ID})
}

// planMerge checks a "#merge N" in an agent's reply to ticket ticketID: what to run, or the line
// saying why not (English; templates/notices.go translates it).
func (s *Store) planMerge(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, line, arg string, by Actor) (func() error, string, error) {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return nil, fmt.Sprintf("%q: no ticket #%s on this property", line, arg), nil
	}
	var rows []mergeSide
	if err := s.db.Select(ctx, tx, &rows, s.qs.MergeTicket, p.ID, n); err != nil {
		return nil, "", fmt.Errorf("tickets: merge: ticket #%d: %w", n, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Sprintf("%q: no ticket #%d on this property", line, n), nil
	}
	b := rows[0]
	switch {
	case b.ID == ticketID:
		return nil, fmt.Sprintf("%q: a ticket cannot be merged into itself", line), nil
	case b.MergedInto != nil:
		return nil, fmt.Sprintf("%q: #%d was merged into #%d already", line, n, *b.MergedInto), nil
	case b.DeletedAt != nil:
		return nil, fmt.Sprintf("%q: ticket #%d is in the trash; restore it first", line, n), nil
	}
	var into int64
	if err := s.db.Get(ctx, tx, &into, s.qs.TicketNumberOf, ticketID); err != nil {
		return nil, "", fmt.Errorf("tickets: merge: %w", err)
	}
	return func() error { return s.merge(ctx, tx, p, ticketID, into, b, by) }, "", nil
}
