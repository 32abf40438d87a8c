package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The records the notifier's loop brake keeps and judges by, each in the transaction of the
// change it is judging (tx), so that a hold commits or rolls back with the mail that caused it.
// email is compared as given: the caller lowercases it, as it stores it.

// LoopHoldLast reports when mail from email on the ticket was last held, ok false when the address
// is not held there.
func (s *Store) LoopHoldLast(ctx context.Context, tx *sqlx.Tx, ticketID int64, email string) (last time.Time, ok bool, err error) {
	var lasts []time.Time
	if err := s.db.Select(ctx, tx, &lasts, s.qs.LoopHoldLast, ticketID, email); err != nil {
		return time.Time{}, false, fmt.Errorf("tickets: loop hold: %w", err)
	}
	if len(lasts) == 0 {
		return time.Time{}, false, nil
	}
	return lasts[0], true, nil
}

// ExtendLoopHold records one more mail held from email on the ticket, at at.
func (s *Store) ExtendLoopHold(ctx context.Context, tx *sqlx.Tx, ticketID int64, email string, at time.Time) error {
	if err := s.db.Exec(ctx, tx, s.qs.LoopHoldExtend, at, ticketID, email); err != nil {
		return fmt.Errorf("tickets: extend loop hold: %w", err)
	}
	return nil
}

// EndLoopHold ends the hold on email's mail on the ticket.
func (s *Store) EndLoopHold(ctx context.Context, tx *sqlx.Tx, ticketID int64, email string) error {
	if err := s.db.Exec(ctx, tx, s.qs.LoopHoldEnd, ticketID, email); err != nil {
		return fmt.Errorf("tickets: end loop hold: %w", err)
	}
	return nil
}

// StartLoopHold holds email's mail on the ticket from at. started is false when the address was
// already held: another mail from it got there first (and its change tells the people concerned).
func (s *Store) StartLoopHold(ctx context.Context, tx *sqlx.Tx, ticketID int64, email string, at time.Time) (started bool, err error) {
	var inserted []int64
	if err := s.db.Select(ctx, tx, &inserted, s.qs.LoopHoldStart, ticketID, email, at, at); err != nil {
		return false, fmt.Errorf("tickets: start loop hold: %w", err)
	}
	return len(inserted) > 0, nil
}

// MailsFrom counts the ticket's messages from email stored after since.
func (s *Store) MailsFrom(ctx context.Context, tx *sqlx.Tx, ticketID int64, email string, since time.Time) (int, error) {
	var n int
	if err := s.db.Get(ctx, tx, &n, s.qs.LoopMailsFrom, ticketID, email, since); err != nil {
		return 0, fmt.Errorf("tickets: count mail from %s: %w", email, err)
	}
	return n, nil
}

// SystemMailsFrom counts the system mails of kind from email kept after since.
func (s *Store) SystemMailsFrom(ctx context.Context, tx *sqlx.Tx, kind, email string, since time.Time) (int, error) {
	var n int
	if err := s.db.Get(ctx, tx, &n, s.qs.LoopSystemMailsFrom, kind, email, since); err != nil {
		return 0, fmt.Errorf("tickets: count %s mail from %s: %w", kind, email, err)
	}
	return n, nil
}

// Admins lists the admins and owners of a property, by address: the agents told about what
// concerns the whole property (a suspected loop).
func (s *Store) Admins(ctx context.Context, tx *sqlx.Tx, propertyID int64) ([]Agent, error) {
	var as []Agent
	if err := s.db.Select(ctx, tx, &as, s.qs.AdminsOfProperty, propertyID, "admin", "owner"); err != nil {
		return nil, fmt.Errorf("tickets: admins: %w", err)
	}
	return as, nil
}

// PropertyAdmin is an admin or owner of some property.
type PropertyAdmin struct {
	Email      string `db:"email"`
	Name       string `db:"name"`
	PropertyID int64  `db:"property_id"` // the first property they are admin or owner of
}

// AllAdmins lists every agent who is an admin or owner of any property, once each, by address
// (those mail to postmaster@ is forwarded to).
func (s *Store) AllAdmins(ctx context.Context, tx *sqlx.Tx) ([]PropertyAdmin, error) {
	var as []PropertyAdmin
	if err := s.db.Select(ctx, tx, &as, s.qs.AdminsOfAllProperties, "admin", "owner"); err != nil {
		return nil, fmt.Errorf("tickets: admins of all properties: %w", err)
	}
	return as, nil
}
