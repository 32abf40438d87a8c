package mailbox

import (
	"context"
	"fmt"
	"time"
)

// Pausing a mailbox needs no column of its own: a paused mailbox holds a lease in the name of
// PausedOwner until PausedUntil, which no instance can claim (Claim takes a lease only when it is
// free, expired or its own). The scans skip it at once; the instance that was polling it fails
// its next renewal (within a third of the lease) and stops, and its checkpoint updates, which all
// require its own lease, change nothing after the pause: a message it had taken but not yet
// checkpointed is fetched again on resume and stored once (deliveries are deduplicated).

// PausedOwner is the lease holder of a paused mailbox.
const PausedOwner = "(paused)"

// PausedUntil is the lease's end of a paused mailbox: never, in practice.
var PausedUntil = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// Pause stops the polling of a property's mailbox until Resume. Pausing a paused mailbox changes
// nothing; one of another property is ErrNotFound.
func (s *Store) Pause(ctx context.Context, propertyID, id int64) error {
	ids, err := s.update(ctx, false, s.qs.Pause, PausedOwner, PausedUntil, id, propertyID)
	if err != nil {
		return fmt.Errorf("mailbox: pause %d: %w", id, err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: mailbox %d", ErrNotFound, id)
	}
	return nil
}

// Resume frees a paused mailbox's lease: the next scan of any instance polls it again, from its
// checkpoint. Resuming a mailbox that is not paused changes nothing.
func (s *Store) Resume(ctx context.Context, propertyID, id int64) error {
	m, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if m.PropertyID != propertyID {
		return fmt.Errorf("%w: mailbox %d", ErrNotFound, id)
	}
	if _, err := s.update(ctx, false, s.qs.Resume, id, propertyID, PausedOwner); err != nil {
		return fmt.Errorf("mailbox: resume %d: %w", id, err)
	}
	return nil
}

// Remove deletes a property's mailbox: it is polled no more (an instance polling it fails its
// next renewal and stops); the mail already imported stays in its tickets, and the mail left in
// the mailbox is not touched.
func (s *Store) Remove(ctx context.Context, propertyID, id int64) error {
	ids, err := s.update(ctx, false, s.qs.Delete, id, propertyID)
	if err != nil {
		return fmt.Errorf("mailbox: remove %d: %w", id, err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: mailbox %d", ErrNotFound, id)
	}
	return nil
}
