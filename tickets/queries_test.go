package tickets

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

func TestQueriesPrepareOnEveryEngine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, err := Open(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if s.qs.TicketByNumber == "" || s.qs.TicketNumberNext == "" {
			t.Fatal("the query set is not filled")
		}
	})
}

// withBroken is the store's query files with one statement of one file broken.
func withBroken(t *testing.T, file, old, new string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(queryFiles, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(queryFiles, p)
		if err != nil {
			return err
		}
		if p == file {
			if !strings.Contains(string(b), old) {
				t.Fatalf("%s has no %q", file, old)
			}
			b = []byte(strings.Replace(string(b), old, new, 1))
		}
		out[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestABrokenQueryFailsTheStoreAtStart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// A rarely used statement (purging a ticket's events) naming a table that does not exist.
		files := withBroken(t, "queries/purge.sql", "DELETE FROM ticket_events", "DELETE FROM ticket_eventz")
		_, err := open(context.Background(), d, files)
		if err == nil || !strings.Contains(err.Error(), `"purge-events"`) {
			t.Fatalf("open with a broken statement = %v, want an error naming purge-events", err)
		}
		// A statement the files have and no field takes fails too, before the database is asked.
		files = withBroken(t, "queries/events.sql", "-- name: event-add", "-- name: stray\nSELECT 1\n\n-- name: event-add")
		if _, err := open(context.Background(), d, files); err == nil || !strings.Contains(err.Error(), "stray") {
			t.Fatalf("open with a stray statement = %v", err)
		}
	})
}
