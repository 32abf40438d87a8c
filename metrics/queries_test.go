package metrics

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
		m, err := Open(context.Background(), d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.qs.OutboxByStatus == "" || m.qs.Mailboxes == "" {
			t.Fatal("the query set is not filled")
		}
	})
}

func TestABrokenQueryFailsTheMetricsAtStart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b, err := queryFiles.ReadFile("queries/metrics.sql")
		if err != nil {
			t.Fatal(err)
		}
		broken := strings.Replace(string(b), "m.last_poll_at", "m.last_pol_at", 1)
		if broken == string(b) {
			t.Fatal("the statement to break is not there")
		}
		files := fstest.MapFS{"queries/metrics.sql": &fstest.MapFile{Data: []byte(broken)}}
		if _, err := open(context.Background(), d, files, nil); err == nil || !strings.Contains(err.Error(), `"metrics-mailboxes"`) {
			t.Fatalf("open with a broken statement = %v, want an error naming metrics-mailboxes", err)
		}
	})
}
