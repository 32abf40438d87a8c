package outbox

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

func TestQueriesPrepareOnEveryEngine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		q, err := Open(context.Background(), d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.qs.Claim == "" || q.qs.Enqueue == "" {
			t.Fatal("the query set is not filled")
		}
		// The claim is the one engine-specific statement: only PostgreSQL skips locked rows.
		if got, want := strings.Contains(q.qs.Claim, "SKIP LOCKED"), d.Dialect == db.Postgres; got != want {
			t.Fatalf("on %s the claim is %q", d.Dialect, q.qs.Claim)
		}
		// The package functions run the memo's statements: the very ones Open prepared.
		memo, err := queriesOf(d)
		if err != nil {
			t.Fatal(err)
		}
		if memo != q.qs {
			t.Fatal("the package functions' statements are not the queue's")
		}
	})
}

// withBroken is the outbox's query file with old replaced by new.
func withBroken(t *testing.T, old, new string) fstest.MapFS {
	t.Helper()
	b, err := queryFiles.ReadFile("queries/outbox.sql")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), old, new, 1)
	if broken == string(b) {
		t.Fatalf("outbox.sql has no %q", old)
	}
	return fstest.MapFS{"queries/outbox.sql": &fstest.MapFile{Data: []byte(broken)}}
}

func TestABrokenQueryFailsTheQueueAtStart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// A rarely used statement (recording a bounce) naming a column that does not exist.
		files := withBroken(t, "WHERE property_id = ? AND message_id = ?", "WHERE property_idd = ? AND message_id = ?")
		if _, err := open(ctx, d, files, nil); err == nil || !strings.Contains(err.Error(), `"outbox-bounced"`) {
			t.Fatalf("open with a broken statement = %v, want an error naming outbox-bounced", err)
		}
		// An engine's own statement is prepared on that engine: PostgreSQL's claim, broken, fails
		// there; SQLite never loads it.
		files = withBroken(t, "FOR UPDATE SKIP LOCKED", "FOR UPDATE SKIP LOCKD")
		_, err := open(ctx, d, files, nil)
		if d.Dialect == db.Postgres && (err == nil || !strings.Contains(err.Error(), `"outbox-claim"`)) {
			t.Fatalf("open with a broken claim on PostgreSQL = %v", err)
		}
		if d.Dialect == db.SQLite && err != nil {
			t.Fatalf("open with PostgreSQL's claim broken on SQLite = %v", err)
		}
	})
}
