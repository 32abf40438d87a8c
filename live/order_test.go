package live_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/tickets"
)

// touch updates a ticket in an open transaction, and returns the id its change row took.
func touch(t *testing.T, ctx context.Context, d *db.DB, p tickets.Property, number int64) (*sqlx.Tx, int64) {
	t.Helper()
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE tickets SET updated_at = updated_at WHERE property_id = ? AND number = ?`), p.ID, number); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT MAX(id) FROM ticket_changes`); err != nil {
		t.Fatal(err)
	}
	return tx, id
}

// twoTickets delivers tickets #1 and #2 and reads their changes off ch.
func twoTickets(t *testing.T, fx *fixture, ch <-chan live.Change) {
	t.Helper()
	fx.deliver(t, fx.p, "m1@customer", "One")
	fx.deliver(t, fx.p, "m2@customer", "Two")
	fx.sync(t)
	if got := buffered(ch); !has(got, ticketChange(fx.p, 1)) || !has(got, ticketChange(fx.p, 2)) {
		t.Fatalf("the tickets' changes: %+v", got)
	}
}

// On PostgreSQL an id is visible at its commit: a later id committed first is read first, and the
// earlier one, committed after that poll, is still delivered.
func TestOutOfOrderCommitIsNotLost(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		if fx.writer.Dialect != db.Postgres {
			t.Skip("SQLite has one writer: ids commit in order")
		}
		ch, cancel := fx.feed.Subscribe(fx.p.ID)
		defer cancel()
		twoTickets(t, fx, ch)
		tx1, id1 := touch(t, fx.ctx, fx.writer, fx.p, 1)
		defer tx1.Rollback()
		tx2, id2 := touch(t, fx.ctx, fx.writer, fx.p, 2)
		if id1 >= id2 {
			t.Fatalf("ids %d, %d: the first transaction's is not the lower", id1, id2)
		}
		if err := tx2.Commit(); err != nil {
			t.Fatal(err)
		}
		fx.sync(t)
		if got := buffered(ch); len(got) != 1 || got[0] != ticketChange(fx.p, 2) {
			t.Fatalf("after the later id's commit: %+v", got)
		}
		fx.feedClk.Advance(5 * time.Second) // less than the feed waits for a missing id
		fx.sync(t)
		if got := buffered(ch); len(got) != 0 {
			t.Fatalf("a poll with nothing new: %+v", got)
		}
		if err := tx1.Commit(); err != nil {
			t.Fatal(err)
		}
		fx.sync(t)
		if got := buffered(ch); len(got) != 1 || got[0] != ticketChange(fx.p, 1) {
			t.Fatalf("after the earlier id's commit: %+v", got)
		}
		// Read once: polls after it deliver it no more.
		fx.feedClk.Advance(time.Minute)
		fx.sync(t)
		if got := buffered(ch); len(got) != 0 {
			t.Fatalf("delivered again: %+v", got)
		}
	})
}

// A missing id (a rolled-back insert) is waited for 10 s of the feed's clock, then given up: the
// subscribers are told to resync, and later changes go on.
func TestHoleIsGivenUp(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		ch, cancel := fx.feed.Subscribe(fx.p.ID)
		defer cancel()
		twoTickets(t, fx, ch)
		if fx.writer.Dialect == db.Postgres {
			tx1, _ := touch(t, fx.ctx, fx.writer, fx.p, 1)
			tx2, _ := touch(t, fx.ctx, fx.writer, fx.p, 2)
			if err := tx2.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := tx1.Rollback(); err != nil {
				t.Fatal(err)
			}
		} else {
			// SQLite reuses a rolled-back id; an id skipped is the same hole.
			var end int64
			if err := fx.writer.GetContext(fx.ctx, &end, `SELECT MAX(id) FROM ticket_changes`); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.writer.ExecContext(fx.ctx, `INSERT INTO ticket_changes (id, property_id, number, kind, at) VALUES (?, ?, 2, 'ticket', CURRENT_TIMESTAMP)`, end+2, fx.p.ID); err != nil {
				t.Fatal(err)
			}
		}
		fx.sync(t)
		if got := buffered(ch); len(got) != 1 || got[0] != ticketChange(fx.p, 2) {
			t.Fatalf("the id above the hole: %+v", got)
		}
		fx.feedClk.Advance(9 * time.Second)
		fx.sync(t)
		if got := buffered(ch); len(got) != 0 {
			t.Fatalf("given up before its time: %+v", got)
		}
		fx.feedClk.Advance(2 * time.Second)
		fx.sync(t)
		if got := buffered(ch); len(got) != 1 || got[0] != (live.Change{PropertyID: fx.p.ID, Kind: live.KindResync}) {
			t.Fatalf("giving up: %+v", got)
		}
		fx.sync(t)
		if got := buffered(ch); len(got) != 0 {
			t.Fatalf("given up twice: %+v", got)
		}
		if _, err := fx.s.SetPriority(fx.ctx, fx.p, 1, fx.alice, "high"); err != nil {
			t.Fatal(err)
		}
		fx.sync(t)
		if got := buffered(ch); len(got) != 1 || got[0] != ticketChange(fx.p, 1) {
			t.Fatalf("after the hole: %+v", got)
		}
	})
}

func presenceChange(p tickets.Property, n int64) live.Change {
	return live.Change{PropertyID: p.ID, Ticket: n, Kind: live.KindPresence}
}

func TestPresence(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		bob, err := fx.s.AddAgent(fx.ctx, fx.p.ID, "bob@acme.example", "Bob", "support")
		if err != nil {
			t.Fatal(err)
		}
		fx.deliver(t, fx.p, "m1@customer", "Printer on fire")
		fx.sync(t)
		ch, cancel := fx.feed.Subscribe(fx.p.ID)
		defer cancel()
		f := fx.feed
		step := func(what string, changed bool, want ...string) {
			t.Helper()
			fx.sync(t)
			got := buffered(ch)
			if changed && (len(got) != 1 || got[0] != presenceChange(fx.p, 1)) {
				t.Fatalf("%s: changes %+v, want one presence change", what, got)
			}
			if !changed && len(got) != 0 {
				t.Fatalf("%s: changes %+v, want none", what, got)
			}
			ps, err := f.Present(fx.ctx, fx.p.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range ps {
				n := p.Email
				if p.Typing {
					n += " typing"
				}
				names = append(names, n)
			}
			if len(names) != len(want) {
				t.Fatalf("%s: present %q, want %q", what, names, want)
			}
			for i := range want {
				if names[i] != want[i] {
					t.Fatalf("%s: present %q, want %q", what, names, want)
				}
			}
		}
		beat := func(a tickets.Agent, typing bool) {
			t.Helper()
			if err := f.Heartbeat(fx.ctx, fx.p.ID, 1, a.ID, typing); err != nil {
				t.Fatal(err)
			}
		}
		step("nobody", false)
		beat(fx.alice, false)
		step("alice arrives", true, "alice@acme.example")
		beat(fx.alice, false)
		step("alice's heartbeat", false, "alice@acme.example")
		beat(fx.alice, true)
		step("alice types", true, "alice@acme.example typing")
		beat(bob, false)
		step("bob arrives", true, "alice@acme.example typing", "bob@acme.example")
		fx.feedClk.Advance(20 * time.Second)
		beat(bob, false)
		step("bob's heartbeat", false, "alice@acme.example typing", "bob@acme.example")
		fx.feedClk.Advance(15 * time.Second) // alice's last heartbeat is 35 s old, bob's 15 s
		step("alice's heartbeat runs out", true, "bob@acme.example")
		if n := count(t, fx, `SELECT COUNT(*) FROM presence`); n != 1 {
			t.Fatalf("%d presence rows after the sweep", n)
		}
		beat(fx.alice, true)
		step("alice is back", true, "alice@acme.example typing", "bob@acme.example")
		if err := f.Leave(fx.ctx, fx.p.ID, 1, bob.ID); err != nil {
			t.Fatal(err)
		}
		step("bob leaves", true, "alice@acme.example typing")
		if err := f.Leave(fx.ctx, fx.p.ID, 1, bob.ID); err != nil {
			t.Fatal(err)
		}
		step("bob leaves again", false, "alice@acme.example typing")
		if err := f.Heartbeat(fx.ctx, fx.p.ID, 99, bob.ID, false); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("a heartbeat on no ticket: %v", err)
		}
		other, err := fx.s.CreateProperty(fx.ctx, tickets.NewProperty{Slug: "other", Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Heartbeat(fx.ctx, other.ID, 1, bob.ID, false); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("a heartbeat on another property's number: %v", err)
		}
		if ps, err := f.Present(fx.ctx, other.ID, 1); err != nil || len(ps) != 0 {
			t.Fatalf("another property's ticket #1: %+v %v", ps, err)
		}
	})
}

// Purging a ticket deletes its presence with it (and says so: the ticket's change).
func TestPurgeEndsPresence(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		fx.deliver(t, fx.p, "m1@customer", "Printer on fire")
		if err := fx.feed.Heartbeat(fx.ctx, fx.p.ID, 1, fx.alice.ID, true); err != nil {
			t.Fatal(err)
		}
		ch, cancel := fx.feed.Subscribe(fx.p.ID)
		defer cancel()
		if _, err := fx.s.Trash(fx.ctx, fx.p, 1, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		if ps, err := fx.feed.Present(fx.ctx, fx.p.ID, 1); err != nil || len(ps) != 1 {
			t.Fatalf("present on a ticket in the trash: %+v %v", ps, err)
		}
		if err := fx.s.Purge(fx.ctx, fx.p, 1, tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		if n := count(t, fx, `SELECT COUNT(*) FROM presence`); n != 0 {
			t.Fatalf("%d presence rows after the purge", n)
		}
		fx.sync(t)
		if got := buffered(ch); !has(got, ticketChange(fx.p, 1)) {
			t.Fatalf("the purge's changes: %+v", got)
		}
		if err := fx.feed.Leave(fx.ctx, fx.p.ID, 1, fx.alice.ID); err != nil {
			t.Fatalf("leaving a purged ticket: %v", err)
		}
	})
}

func count(t *testing.T, fx *fixture, q string) int {
	t.Helper()
	var n int
	if err := fx.reader.GetContext(fx.ctx, &n, q); err != nil {
		t.Fatal(err)
	}
	return n
}
