package live

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/tickets"
)

// Presence is an agent looking at a ticket.
type Presence struct {
	AgentID int64  `db:"agent_id"`
	Email   string `db:"email"`
	Name    string `db:"name"`
	Typing  bool   `db:"typing"`
}

// Heartbeat says that the agent is looking at the ticket (typing an answer or not) for the next
// Config.PresenceTTL. It logs a presence change only when the agent was not there (or had expired)
// or the typing state changed, so that a page's steady heartbeats wake no one. A ticket the property
// does not have is tickets.ErrNotFound.
func (f *Feed) Heartbeat(ctx context.Context, propertyID, number, agentID int64, typing bool) error {
	now := f.clock()
	return f.db.Tx(ctx, func(tx *sqlx.Tx) error {
		id, err := f.ticketID(ctx, tx, propertyID, number)
		if err != nil {
			return err
		}
		var was []struct {
			Typing    bool      `db:"typing"`
			ExpiresAt time.Time `db:"expires_at"`
		}
		if err := f.db.Select(ctx, tx, &was, f.qs.PresenceGet, id, agentID); err != nil {
			return fmt.Errorf("live: heartbeat: %w", err)
		}
		if err := f.db.Exec(ctx, tx, f.qs.PresenceUpsert, id, agentID, typing, now.Add(f.cfg.PresenceTTL)); err != nil {
			return fmt.Errorf("live: heartbeat: %w", err)
		}
		if len(was) == 1 && was[0].ExpiresAt.After(now) && was[0].Typing == typing {
			return nil
		}
		return f.logPresence(ctx, tx, propertyID, number)
	})
}

// Leave says that the agent left the ticket. Leaving a ticket one was not on (or that is gone)
// changes nothing.
func (f *Feed) Leave(ctx context.Context, propertyID, number, agentID int64) error {
	now := f.clock()
	return f.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := f.db.Select(ctx, tx, &ids, f.qs.TicketID, propertyID, number); err != nil {
			return fmt.Errorf("live: leave: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		var expires []time.Time
		if err := f.db.Select(ctx, tx, &expires, f.qs.PresenceDelete, ids[0], agentID); err != nil {
			return fmt.Errorf("live: leave: %w", err)
		}
		if len(expires) == 0 || !expires[0].After(now) {
			return nil // not there, or gone already (and logged by the sweep that ends it)
		}
		return f.logPresence(ctx, tx, propertyID, number)
	})
}

// Present lists the agents on the ticket now, by email.
func (f *Feed) Present(ctx context.Context, propertyID, number int64) ([]Presence, error) {
	out := []Presence{}
	if err := f.db.Select(ctx, nil, &out, f.qs.PresenceOf, propertyID, number, f.clock()); err != nil {
		return nil, fmt.Errorf("live: present: %w", err)
	}
	return out, nil
}

func (f *Feed) ticketID(ctx context.Context, tx *sqlx.Tx, propertyID, number int64) (int64, error) {
	var ids []int64
	if err := f.db.Select(ctx, tx, &ids, f.qs.TicketID, propertyID, number); err != nil {
		return 0, fmt.Errorf("live: ticket #%d: %w", number, err)
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("live: ticket #%d: %w", number, tickets.ErrNotFound)
	}
	return ids[0], nil
}

func (f *Feed) logPresence(ctx context.Context, tx *sqlx.Tx, propertyID, number int64) error {
	if err := f.db.Exec(ctx, tx, f.qs.LogAdd, propertyID, number, KindPresence); err != nil {
		return fmt.Errorf("live: log presence: %w", err)
	}
	return nil
}

// expirePresence ends the heartbeats that ran out by now and logs their tickets' presence
// changes: whichever instance's sweep deletes a row logs it, once. It reads first, so a poll with
// nothing to end writes nothing (SQLite's write lock).
func (f *Feed) expirePresence(ctx context.Context, now time.Time) error {
	var n int
	if err := f.db.Get(ctx, nil, &n, f.qs.PresenceExpired, now); err != nil {
		return fmt.Errorf("live: expire presence: %w", err)
	}
	if n == 0 {
		return nil
	}
	return f.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := f.db.Select(ctx, tx, &ids, f.qs.PresenceExpire, now); err != nil {
			return fmt.Errorf("live: expire presence: %w", err)
		}
		done := map[int64]bool{}
		for _, id := range ids {
			if done[id] {
				continue
			}
			done[id] = true
			var key []struct {
				PropertyID int64 `db:"property_id"`
				Number     int64 `db:"number"`
			}
			if err := f.db.Select(ctx, tx, &key, f.qs.TicketKey, id); err != nil {
				return fmt.Errorf("live: expire presence: %w", err)
			}
			if len(key) == 1 {
				if err := f.logPresence(ctx, tx, key[0].PropertyID, key[0].Number); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
