package live

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
)

func bareFeed(cursor int64) *Feed {
	return &Feed{cursor: cursor, log: slog.New(slog.DiscardHandler)}
}

// The cursor moves over ids read in any order, waits at a hole, and gives a whole gap up at once
// when an id above it has been read for holeWait.
func TestCursor(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := bareFeed(10)
	for _, tc := range []struct {
		id    int64
		fresh bool
	}{{12, true}, {11, true}, {13, true}, {12, false}, {11, false}, {10, false}, {9, false}} {
		if got := f.remember(tc.id, t0); got != tc.fresh {
			t.Errorf("remember(%d) = %v, want %v", tc.id, got, tc.fresh)
		}
	}
	if f.advance(t0) || f.cursor != 13 || len(f.above) != 0 {
		t.Fatalf("cursor %d, above %v", f.cursor, f.above)
	}
	// 14 is missing; 15 and, later, 1000 are read (a big rolled-back batch in between).
	f.remember(15, t0)
	f.remember(1000, t0.Add(5*time.Second))
	if f.advance(t0.Add(9*time.Second)) || f.cursor != 13 {
		t.Fatalf("gave up before holeWait: cursor %d", f.cursor)
	}
	// 14 arrives late, within the wait: taken, and the cursor moves on to the next hole.
	if !f.remember(14, t0.Add(9*time.Second)) {
		t.Fatal("the late id is not fresh")
	}
	if f.advance(t0.Add(9*time.Second)) || f.cursor != 15 {
		t.Fatalf("after the late id: cursor %d", f.cursor)
	}
	// The gap 16…999 is known missing since 1000 was read: 10 s after that, not after 15 was.
	if f.advance(t0.Add(12*time.Second)) || f.cursor != 15 {
		t.Fatalf("gave up the gap early: cursor %d", f.cursor)
	}
	if !f.advance(t0.Add(15*time.Second)) || f.cursor != 1000 || len(f.above) != 0 {
		t.Fatalf("the gap given up: cursor %d, above %v", f.cursor, f.above)
	}
}

// The log is pruned of the rows the feed passed once they are older than the retention; a row the
// feed has not read stays, however old.
func TestPrune(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := testclock.New(time.Now().UTC())
		f, err := Open(ctx, d, Config{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		add := func() {
			t.Helper()
			if err := d.Tx(ctx, func(tx *sqlx.Tx) error { return f.logPresence(ctx, tx, 1, 1) }); err != nil {
				t.Fatal(err)
			}
		}
		rows := func() int {
			t.Helper()
			var n int
			if err := d.GetContext(ctx, &n, `SELECT COUNT(*) FROM ticket_changes`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		add()
		add()
		add()
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		add() // not read yet
		if n, err := f.prune(ctx); err != nil || n != 0 {
			t.Fatalf("pruned %d young rows: %v", n, err)
		}
		clk.Advance(retention + time.Minute)
		if n, err := f.prune(ctx); err != nil || n != 3 {
			t.Fatalf("pruned %d rows, want 3: %v", n, err)
		}
		if n := rows(); n != 1 {
			t.Fatalf("%d rows left, want the unread one", n)
		}
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := f.prune(ctx); err != nil || n != 1 || rows() != 0 {
			t.Fatalf("pruned %d once read: %v", n, err)
		}
	})
}

// A feed that did not poll for longer than the retention may have lost rows to another instance's
// pruning: its subscribers resync.
func TestLaggingFeedResyncs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := testclock.New(time.Now().UTC())
		f, err := Open(ctx, d, Config{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		ch, cancel := f.Subscribe(7)
		defer cancel()
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if len(ch) != 0 {
			t.Fatalf("%d changes after a minute", len(ch))
		}
		clk.Advance(retention + time.Second)
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if len(ch) != 1 || <-ch != (Change{PropertyID: 7, Kind: KindResync}) {
			t.Fatal("no resync after lagging")
		}
	})
}
