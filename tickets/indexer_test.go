package tickets_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// drainSearch runs the search indexer until its queue is empty: the messages stored so far are
// searchable on both engines.
func drainSearch(t *testing.T, s *tickets.Store) {
	t.Helper()
	if err := s.DrainSearchIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func searchCount(t *testing.T, f *fixture, text string) int {
	t.Helper()
	page, err := f.s.Search(f.ctx, f.p.ID, 0, tickets.Query{Text: text})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	return len(page.Tickets)
}

// A message is found by its words once the indexer ran. On PostgreSQL its words are computed
// after the delivery commits: until then it is queued (and found by its ticket's subject only);
// on SQLite FTS5 indexes it in the delivery, so the queue stays empty.
func TestSearchFindsAMessageOnceIndexed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := customerMail("m1@customer", "Printer")
		in.Text = "The flux capacitor overheats."
		f.deliver(t, in)
		queued, err := f.s.SearchQueueLength(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := searchCount(t, f, "capacitor")
		if d.Dialect == db.Postgres {
			if queued != 1 || before != 0 {
				t.Fatalf("before the indexer ran: %d queued, %d found (want 1, 0)", queued, before)
			}
		} else if queued != 0 || before != 1 {
			t.Fatalf("SQLite: %d queued, %d found (want 0, 1)", queued, before)
		}
		if n := searchCount(t, f, "printer"); n != 1 {
			t.Fatalf("the ticket's subject: %d found", n)
		}
		drainSearch(t, f.s)
		if n, err := f.s.SearchQueueLength(f.ctx); err != nil || n != 0 {
			t.Fatalf("after draining: %d queued, %v", n, err)
		}
		if n := searchCount(t, f, "capacitor"); n != 1 {
			t.Fatalf("after the indexer ran: %d found", n)
		}
		if n := searchCount(t, f, "printer capacitor"); n != 1 {
			t.Fatalf("both words: %d found", n)
		}
	})
}

// Indexers running at once (several instances) share the queue: every message is indexed, none
// is claimed twice into a failure, and the queue ends empty.
func TestSearchIndexersShareTheQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tickets.SetSearchIndexBatch(f.s, 3)
		const n = 40
		for i := range n {
			in := customerMail(fmt.Sprintf("q%d@customer", i), "Question")
			in.Text = "zebrawords everywhere"
			f.deliver(t, in)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		claimed := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k, err := f.s.IndexSearch(f.ctx)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					claimed += k
					mu.Unlock()
					if k == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		want := 0
		if d.Dialect == db.Postgres {
			want = n
		}
		if claimed != want {
			t.Fatalf("claimed %d, want %d", claimed, want)
		}
		if got := searchCount(t, f, "zebrawords"); got != n {
			t.Fatalf("found %d tickets, want %d", got, n)
		}
	})
}

// A database of version 23 (search_tsv generated in each delivery) migrates: the words already
// computed are kept, nothing is queued for them, and messages stored after are queued.
func TestSearchQueueMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect != db.Postgres {
			t.Skip("0024 changes nothing on SQLite")
		}
		f := newFixture(t, d)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.ExecContext(f.ctx, d.Rebind(q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// Back to version 23: the generated column of 0005, no queue.
		for _, q := range []string{`DROP TRIGGER messages_search_queue ON messages`, `DROP FUNCTION search_queue_add()`, `DROP TABLE search_queue`,
			`ALTER TABLE messages DROP COLUMN search_tsv`,
			`ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (strip(to_tsvector('simple', translate(subject || ' ' || left(text_body, 100000), '@.-/_:+''', '        ')))) STORED`,
			`CREATE INDEX messages_search ON messages USING GIN (search_tsv)`,
			`UPDATE schema_version SET version = 23`} {
			exec(q)
		}
		in := customerMail("old@customer", "Before")
		in.Text = "an ancient gramophone"
		f.deliver(t, in)
		if err := d.Migrate(f.ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.SearchQueueLength(f.ctx); err != nil || n != 0 {
			t.Fatalf("after the migration: %d queued, %v; want 0", n, err)
		}
		if n := searchCount(t, f, "gramophone"); n != 1 {
			t.Fatalf("a message stored before the migration: %d found", n)
		}
		in = customerMail("new@customer", "After")
		in.Text = "a modern turntable"
		f.deliver(t, in)
		if n, err := f.s.SearchQueueLength(f.ctx); err != nil || n != 1 {
			t.Fatalf("a message stored after the migration: %d queued, %v; want 1", n, err)
		}
		drainSearch(t, f.s)
		if n := searchCount(t, f, "turntable"); n != 1 {
			t.Fatalf("once indexed: %d found", n)
		}
	})
}

// The indexer never waits on a message another transaction holds (a merge moving it): it leaves
// it queued and indexes it on a later run.
func TestSearchIndexerSkipsAMessageHeldByAnotherTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect != db.Postgres {
			t.Skip("no queue on SQLite")
		}
		f := newFixture(t, d)
		in := customerMail("held@customer", "Held")
		in.Text = "a locked harmonium"
		dl := f.deliver(t, in)
		tx, err := d.BeginTxx(f.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(f.ctx, `SELECT id FROM messages WHERE ticket_id = $1 FOR UPDATE`, dl.TicketID); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.IndexSearch(f.ctx); err != nil || n != 0 {
			t.Fatalf("with the message held: indexed %d, %v; want 0", n, err)
		}
		if n, err := f.s.SearchQueueLength(f.ctx); err != nil || n != 1 {
			t.Fatalf("with the message held: %d queued, %v; want 1", n, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.IndexSearch(f.ctx); err != nil || n != 1 {
			t.Fatalf("once released: indexed %d, %v; want 1", n, err)
		}
		if n := searchCount(t, f, "harmonium"); n != 1 {
			t.Fatalf("found %d", n)
		}
		// A queued message deleted before its turn leaves the queue.
		in = customerMail("gone@customer", "Gone")
		gone := f.deliver(t, in)
		if _, err := d.ExecContext(f.ctx, `DELETE FROM messages WHERE ticket_id = $1`, gone.TicketID); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.IndexSearch(f.ctx); err != nil || n != 1 {
			t.Fatalf("a deleted message: dropped %d, %v; want 1", n, err)
		}
		if n, err := f.s.SearchQueueLength(f.ctx); err != nil || n != 0 {
			t.Fatalf("after dropping it: %d queued, %v", n, err)
		}
	})
}
