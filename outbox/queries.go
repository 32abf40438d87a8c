package outbox

import (
	"embed"
	"fmt"
	"io/fs"
	"sync"

	"github.com/postdesk/postdesk/db"
)

// queryFiles holds the outbox's SQL (see db.LoadQueries).
//
//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the outbox's named statements, as run on one engine.
type queries struct {
	Enqueue         string `query:"outbox-enqueue"`
	RecentAutomatic string `query:"outbox-recent-automatic"`
	RecentOfKind    string `query:"outbox-recent-of-kind"`
	Claim           string `query:"outbox-claim"`
	MarkData        string `query:"outbox-mark-data"`
	MarkSent        string `query:"outbox-mark-sent"`
	Retry           string `query:"outbox-retry"`
	Fail            string `query:"outbox-fail"`
	MarkUncertain   string `query:"outbox-mark-uncertain"`
	EventAdd        string `query:"outbox-event-add"`
	Renew           string `query:"outbox-renew"`
	RecoverSending  string `query:"outbox-recover-sending"`
	RecoverData     string `query:"outbox-recover-data"`
	NextDue         string `query:"outbox-next-due"`
	Depth           string `query:"outbox-depth"`
	ByID            string `query:"outbox-by-id"`
	Bounced         string `query:"outbox-bounced"`
	Unrendered      string `query:"outbox-unrendered"`
	SetRaw          string `query:"outbox-set-raw"`
	List            string `query:"outbox-list"`
	Requeue         string `query:"outbox-requeue"`
	RequeueAll      string `query:"outbox-requeue-all"`
	Drop            string `query:"outbox-drop"`
}

// loadQueries reads the outbox's statements for dialect from files (queryFiles but in tests).
func loadQueries(files fs.FS, dialect db.Dialect) (queries, error) {
	var q queries
	if err := db.LoadQueriesDir(files, "queries", dialect, &q); err != nil {
		return q, fmt.Errorf("outbox: %w", err)
	}
	return q, nil
}

// embedded is the embedded statements of each engine, loaded once, for the package functions
// (Enqueue, RecentAutomatic, RecentOfKind). Those run in the transaction of whatever change causes
// the mail — a notifier's hook, the API's export — where the caller has a *db.DB and a tx but no
// Queue: a memo of constants fixed at build time (like a compiled regexp) keeps every caller as it
// is, where a Writer type would have to be built and handed to each of them. Open prepares the
// same statements (the set is one), so they too fail at start when broken.
var embedded = sync.OnceValues(func() (map[db.Dialect]queries, error) {
	out := map[db.Dialect]queries{}
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		q, err := loadQueries(queryFiles, d)
		if err != nil {
			return nil, err
		}
		out[d] = q
	}
	return out, nil
})

// queriesOf is the embedded set for d's engine.
func queriesOf(d *db.DB) (queries, error) {
	all, err := embedded()
	if err != nil {
		return queries{}, err
	}
	q, ok := all[d.Dialect]
	if !ok {
		return queries{}, fmt.Errorf("outbox: no queries for engine %q", d.Dialect)
	}
	return q, nil
}
