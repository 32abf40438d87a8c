package metrics

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/postdesk/postdesk/db"
)

// queryFiles holds the collector's SQL (see db.LoadQueries).
//
//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the collector's named statements.
type queries struct {
	OutboxByStatus string `query:"metrics-outbox-by-status"`
	Mailboxes      string `query:"metrics-mailboxes"`
}

func loadQueries(files fs.FS, dialect db.Dialect) (queries, error) {
	var q queries
	if err := db.LoadQueriesDir(files, "queries", dialect, &q); err != nil {
		return q, fmt.Errorf("metrics: %w", err)
	}
	return q, nil
}
