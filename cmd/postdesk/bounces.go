package main

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// bounces records bounces of postdesk's mail in the outbox and on the contact, and tells the
// ticket's audience when the customer's address bounced — all in the bounce's transaction, so
// the notice is queued once, with the bounce.
type bounces struct {
	*outbox.Queue
	s *tickets.Store
}

func (b bounces) RecordBounce(ctx context.Context, propertyID int64, messageID, reason string, hard []string) error {
	err := b.s.DB().Tx(ctx, func(tx *sqlx.Tx) error {
		rows, err := b.BouncedIn(ctx, tx, propertyID, messageID, reason)
		if err != nil {
			return err
		}
		for _, m := range rows {
			if m.TicketID == nil {
				continue
			}
			// A notice to agents that bounced is never told again: no loop between two notices.
			var notice []string
			if m.Kind != templates.ContactBouncing {
				notice = m.Rcpts()
			}
			if _, err := b.s.ContactBounced(ctx, tx, propertyID, *m.TicketID, notice, hard, reason); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postdesk: record bounce: %w", err)
	}
	return nil
}
