package tickets

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
)

// What happens while the agents are away: the audience of a ticket is told by mail.
const (
	ChangeSnoozeEnded     ChangeKind = "snooze-ended"     // a snooze ended (WakeSnoozed): the ticket is open again
	ChangeContactBouncing ChangeKind = "contact-bouncing" // a mail to the customer bounced: the address is now bouncing
)

// propertyIn reads a property inside tx.
func (s *Store) propertyIn(ctx context.Context, tx *sqlx.Tx, id int64) (Property, error) {
	var p Property
	if err := s.db.Get(ctx, tx, &p, s.qs.PropertyByID, id); err != nil {
		return Property{}, fmt.Errorf("tickets: property %d: %w", id, err)
	}
	return *p.fill(), nil
}

// ContactBounced records, inside tx (the transaction that records the bounce in the outbox), that
// a mail of ticket ticketID to rcpts bounced, hard for the addresses in hard: those are marked
// bouncing on the property. When the ticket's customer is one of them, the ticket's audience is
// told (a "contact-bouncing" change whose Detail is reason) and it reports true. Call it once per
// bounce: the outbox records a bounce once.
func (s *Store) ContactBounced(ctx context.Context, tx *sqlx.Tx, propertyID, ticketID int64, rcpts, hard []string, reason string) (bool, error) {
	for _, e := range hard {
		if err := s.MarkBouncing(ctx, tx, propertyID, e); err != nil {
			return false, err
		}
	}
	var contacts []Contact
	if err := s.db.Select(ctx, tx, &contacts, s.qs.ContactOfTicket, ticketID); err != nil {
		return false, fmt.Errorf("tickets: bounce: contact: %w", err)
	}
	if len(contacts) == 0 || contacts[0].Email == "" {
		return false, nil
	}
	c := normEmail(contacts[0].Email)
	is := func(e string) bool { return normEmail(e) == c }
	if !slices.ContainsFunc(hard, is) || !slices.ContainsFunc(rcpts, is) {
		return false, nil
	}
	p, err := s.propertyIn(ctx, tx, propertyID)
	if err != nil {
		return false, err
	}
	return true, s.runHooks(ctx, tx, Change{Kind: ChangeContactBouncing, Property: p, TicketID: ticketID, Detail: reason})
}
