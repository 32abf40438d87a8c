package tickets

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/postdesk/postdesk/db"
)

// Ticket numbers count up per property.
//
// On SQLite the counter is a column of the property, updated in the delivery's transaction: there
// is one writer anyway, and numbers have no gaps. On PostgreSQL that row lock would be held until
// each delivery commits, so concurrent deliveries of new tickets queued behind each other (measured:
// 30 of 32 connections waiting on it, 127 messages/s). There each property has its own sequence,
// whose nextval never waits; a delivery that rolls back leaves a gap in the numbers, as sequences do.
// Its statements are engine-specific (queries/properties.sql).

func sequenceName(propertyID int64) string { return fmt.Sprintf("ticket_number_%d", propertyID) }

// nextNumber takes the next ticket number of a property.
func (s *Store) nextNumber(ctx context.Context, tx *sqlx.Tx, propertyID int64) (int64, error) {
	var n int64
	var arg any = propertyID // the counter's row on SQLite, the sequence on PostgreSQL
	if s.db.Dialect == db.Postgres {
		arg = sequenceName(propertyID)
	}
	if err := s.db.Get(ctx, tx, &n, s.qs.TicketNumberNext, arg); err != nil {
		return 0, fmt.Errorf("tickets: number ticket: %w", err)
	}
	return n, nil
}

// ensureNumbering makes sure a property's sequence exists (PostgreSQL), before any transaction
// needs it: an error inside a PostgreSQL transaction aborts all of it.
func (s *Store) ensureNumbering(ctx context.Context, propertyID int64) error {
	if s.db.Dialect != db.Postgres {
		return nil
	}
	if _, ok := s.numbering.Load(propertyID); ok {
		return nil
	}
	var next int64
	if err := s.db.Get(ctx, nil, &next, s.qs.PropertyNextNumber, propertyID); err != nil {
		return fmt.Errorf("tickets: numbering: %w", err)
	}
	// The name is built from an integer: nothing to escape. DDL takes no parameters, so this one
	// statement is built here rather than kept in queries/.
	_, err := s.db.ExecContext(ctx, fmt.Sprintf(`CREATE SEQUENCE IF NOT EXISTS %s START WITH %d`, sequenceName(propertyID), next))
	var pe *pq.Error
	// Two instances creating it at once: one of them loses the race on the catalog; fine.
	if err != nil && !(errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07")) {
		return fmt.Errorf("tickets: numbering: %w", err)
	}
	s.numbering.Store(propertyID, true)
	return nil
}
