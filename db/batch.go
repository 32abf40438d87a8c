package db

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// maxBatch bounds how many units of work share one commit, so one batch's latency stays small.
const maxBatch = 64

// committer implements group commit: units of work that arrive while a transaction is running are
// run together in the next one, each inside its own savepoint, and committed at once. A unit that
// fails is rolled back to its savepoint and fails alone; if the commit fails, every unit of the
// batch fails. No unit is told it succeeded before the commit that holds it.
//
// There is no background goroutine: the first caller to find the committer idle leads, runs
// batches, and hands the lead to a waiting caller when it has its own answer.
type committer struct {
	mu      sync.Mutex
	pending []*unit
	leading bool
}

type unit struct {
	ctx  context.Context
	fn   func(*sqlx.Tx) error
	done chan error
	lead chan struct{}
}

// Batch runs fn in a transaction shared with other concurrent Batch calls (group commit) and returns
// once that transaction committed (nil, or fn's error for fn's own work, rolled back alone) or
// failed. fn may run more than once only if it is retried by the caller; Batch never re-runs it.
// On PostgreSQL, which commits concurrent transactions in parallel itself, it is Tx.
//
// fn must not let a cancellable context reach its statements (use context.WithoutCancel): SQLite
// rolls back the whole transaction when a statement in it is interrupted, and the transaction is
// shared. A unit whose context is already done when its turn comes is skipped.
func (d *DB) Batch(ctx context.Context, fn func(*sqlx.Tx) error) error {
	if d.Dialect != SQLite {
		return d.Tx(ctx, fn)
	}
	u := &unit{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	c := &d.batch
	c.mu.Lock()
	c.pending = append(c.pending, u)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if lead {
		d.leadBatch()
	}
	for {
		select {
		case err := <-u.done:
			return err
		case <-u.lead:
			d.leadBatch()
		}
	}
}

// leadBatch runs one batch, then passes the lead on to the next waiting unit, if any.
func (d *DB) leadBatch() {
	c := &d.batch
	c.mu.Lock()
	n := min(len(c.pending), maxBatch)
	batch := c.pending[:n:n]
	c.pending = c.pending[n:]
	c.mu.Unlock()

	d.runBatch(batch)
	// The slots share the queue's array: cleared, the batch's work (attachment bytes, say) is not
	// kept alive by it.
	clear(batch)

	c.mu.Lock()
	if len(c.pending) == 0 {
		c.pending = nil // a fresh array next time, not the tail of this one
		c.leading = false
		c.mu.Unlock()
		return
	}
	next := c.pending[0]
	c.mu.Unlock()
	next.lead <- struct{}{}
}

func (d *DB) runBatch(batch []*unit) {
	results := make([]error, len(batch))
	// The transaction must not die with one caller's context; each unit's statements use its own.
	err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		for i, u := range batch {
			if err := u.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := tx.ExecContext(u.ctx, "SAVEPOINT unit"); err != nil {
				return fmt.Errorf("db: savepoint: %w", err)
			}
			results[i] = u.fn(tx)
			if results[i] != nil {
				if _, err := tx.Exec("ROLLBACK TO SAVEPOINT unit"); err != nil {
					return fmt.Errorf("db: rollback to savepoint: %w", err)
				}
			}
			if _, err := tx.Exec("RELEASE SAVEPOINT unit"); err != nil {
				return fmt.Errorf("db: release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, u := range batch {
		if err != nil {
			u.done <- err
		} else {
			u.done <- results[i]
		}
	}
}
