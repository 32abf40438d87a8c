// Package live is the change feed and the presence behind the web inbox's live updates.
//
// Every change of a ticket, whichever instance, command or intake path made it, is a row of the
// change log (ticket_changes), written by database triggers in the change's own transaction
// (migration 0011). A Feed polls the log and hands each change to the subscribers of its property,
// so several `postdesk serve` instances sharing one database all see every change: nothing of the
// feed lives in one process's memory but its cursor.
//
// Reading by id on PostgreSQL: an id is handed out at insert but becomes visible at commit, so id 11
// may become visible after id 12 was read. The cursor therefore stays at the highest id below
// which every id was seen; the ids read above it are remembered, the log is read again from the
// cursor at every poll, and a missing id (a hole) is waited for until holeWait of the feed's clock
// has passed since an id above it was first read. Then it is taken for a rolled-back insert and
// given up — and since it may instead be a transaction that runs longer still, every subscriber is
// told to resync.
package live

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// Config tunes a Feed. Zero values take the defaults.
type Config struct {
	Poll        time.Duration    // how often the database is polled; default 1s
	Now         func() time.Time // default time.Now (presence expiry, holes, pruning)
	Log         *slog.Logger
	PresenceTTL time.Duration // default 30s: a heartbeat older than this is gone
}

// Change says that something of a ticket changed; the page reads the ticket again. Kind is
// "ticket" (the ticket, its messages, tags…), "presence" (who is looking at it or typing), or
// "resync" (Ticket 0: changes were lost to this subscriber; reload the whole list).
type Change struct {
	PropertyID int64
	Ticket     int64 // the ticket's number in its property
	Kind       string
}

// The kinds of Change.
const (
	KindTicket   = "ticket"
	KindPresence = "presence"
	KindResync   = "resync"
)

const (
	// holeWait is how long an id missing below ids already read is waited for.
	holeWait = 10 * time.Second
	// retention is how long the log keeps a row every feed has had time to read.
	retention = 5 * time.Minute
	// pruneEvery is how often Run prunes the log.
	pruneEvery = time.Minute
	// pageSize is how many rows of the log one query reads.
	pageSize = 500
	// bufferSize is a subscriber's buffer.
	bufferSize = 64
)

// Feed polls the change log of one database and hands its changes to subscribers. It is safe for
// concurrent use.
type Feed struct {
	db  *db.DB
	qs  queries
	now func() time.Time
	log *slog.Logger
	cfg Config

	syncMu sync.Mutex // one poll at a time; guards the cursor below
	cursor int64      // every id up to here was read or given up
	above  []seenID   // ids read above the cursor, by id
	lastOK time.Time  // the last poll that worked, by the feed's clock

	mu     sync.Mutex // guards subs and closed
	subs   map[int64]map[*subscriber]struct{}
	closed bool
}

// seenID is an id read above the cursor, and when it was first read.
type seenID struct {
	id    int64
	first time.Time
}

// row is one row of the change log.
type row struct {
	ID         int64  `db:"id"`
	PropertyID int64  `db:"property_id"`
	Number     int64  `db:"number"`
	Kind       string `db:"kind"`
}

// Open prepares the feed's queries on d and starts it at the current end of the log: changes
// committed before are not replayed.
func Open(ctx context.Context, d *db.DB, cfg Config) (*Feed, error) {
	qs, err := loadQueries(queryFiles, d.Dialect)
	if err != nil {
		return nil, err
	}
	if err := d.PrepareAll(ctx, &qs); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PresenceTTL <= 0 {
		cfg.PresenceTTL = 30 * time.Second
	}
	f := &Feed{db: d, qs: qs, now: cfg.Now, log: cfg.Log, cfg: cfg, subs: map[int64]map[*subscriber]struct{}{}}
	if err := d.Get(ctx, nil, &f.cursor, qs.LogEnd); err != nil {
		return nil, fmt.Errorf("live: the end of the log: %w", err)
	}
	return f, nil
}

func (f *Feed) clock() time.Time { return f.now().UTC().Truncate(time.Microsecond) }

// Run polls the log every Config.Poll until ctx ends, and prunes it. A failed poll is logged and
// tried again at the next tick. When Run returns, every subscriber's channel is closed, and later
// subscribers get a closed channel: a Feed runs once.
func (f *Feed) Run(ctx context.Context) error {
	defer f.close()
	t := time.NewTicker(f.cfg.Poll)
	defer t.Stop()
	var lastPrune time.Time
	for {
		if err := f.Sync(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("live: poll failed", "err", err)
		}
		if now := f.clock(); now.Sub(lastPrune) >= pruneEvery {
			if _, err := f.prune(ctx); err != nil && ctx.Err() == nil {
				f.log.Warn("live: prune failed", "err", err)
			} else {
				lastPrune = now
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sync polls once now: it ends the presences that ran out, reads the log from the cursor, and
// hands every new change to its property's subscribers before it returns.
func (f *Feed) Sync(ctx context.Context) error {
	f.syncMu.Lock()
	defer f.syncMu.Unlock()
	now := f.clock()
	if err := f.expirePresence(ctx, now); err != nil {
		return err
	}
	var fresh []row
	after := f.cursor
	for {
		var page []row
		if err := f.db.Select(ctx, nil, &page, f.qs.LogAfter, after, pageSize); err != nil {
			return fmt.Errorf("live: read the log: %w", err)
		}
		for _, r := range page {
			if f.remember(r.ID, now) {
				fresh = append(fresh, r)
			}
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].ID
	}
	gaveUp := f.advance(now)
	lagged := !f.lastOK.IsZero() && now.Sub(f.lastOK) > retention
	f.lastOK = now
	f.dispatch(fresh)
	if gaveUp || lagged {
		// Changes may have been missed (a transaction longer than holeWait, or rows pruned while
		// this feed was not polling): every page reloads.
		f.resyncAll()
	}
	return nil
}

// remember records id as read at now; false when it was read before.
func (f *Feed) remember(id int64, now time.Time) bool {
	if id <= f.cursor {
		return false
	}
	if n := len(f.above); n == 0 || f.above[n-1].id < id {
		f.above = append(f.above, seenID{id, now}) // the usual case: ids in order
		return true
	}
	i, found := slices.BinarySearchFunc(f.above, id, func(s seenID, id int64) int {
		switch {
		case s.id < id:
			return -1
		case s.id > id:
			return 1
		}
		return 0
	})
	if found {
		return false
	}
	f.above = slices.Insert(f.above, i, seenID{id, now})
	return true
}

// advance moves the cursor over the ids read and over the holes waited for long enough; it reports
// whether it gave up on any.
func (f *Feed) advance(now time.Time) (gaveUp bool) {
	for len(f.above) > 0 {
		s := f.above[0]
		if s.id == f.cursor+1 {
			f.cursor = s.id
			f.above = f.above[1:]
			continue
		}
		// The ids from cursor+1 to s.id-1 are missing: known missing since the first read of any id
		// above them, which is the earliest first read of all.
		oldest := s.first
		for _, o := range f.above {
			if o.first.Before(oldest) {
				oldest = o.first
			}
		}
		if now.Sub(oldest) < holeWait {
			break
		}
		f.log.Warn("live: gave up waiting for change log ids (a rolled-back or very long transaction)",
			"from", f.cursor+1, "to", s.id-1)
		f.cursor = s.id - 1
		gaveUp = true
	}
	if len(f.above) == 0 {
		f.above = nil // let a long backlog's array go
	}
	return gaveUp
}

// prune deletes the rows of the log this feed has passed that are older than the retention, and
// reports how many. Rows above the cursor stay whatever their age. A row's time is the database's
// clock (the triggers write it), compared with the feed's: the retention is minutes, far above any
// skew between them. Another instance's feed may be behind this one: it lost rows only if it did not
// poll for the retention, and then it tells its subscribers to resync (Sync).
func (f *Feed) prune(ctx context.Context) (int64, error) {
	f.syncMu.Lock()
	cursor := f.cursor
	f.syncMu.Unlock()
	var n int64
	err := f.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(f.qs.LogPrune), cursor, f.clock().Add(-retention))
		if err != nil {
			return fmt.Errorf("live: prune the log: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
