package live

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/postdesk/postdesk/db"
)

// queryFiles holds the package's SQL (see db.LoadQueries).
//
//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the feed's named statements, as run on one engine.
type queries struct {
	LogEnd          string `query:"live-log-end"`
	LogAfter        string `query:"live-log-after"`
	LogPrune        string `query:"live-log-prune"`
	LogAdd          string `query:"live-log-add"`
	TicketID        string `query:"live-ticket-id"`
	TicketKey       string `query:"live-ticket-key"`
	PresenceGet     string `query:"live-presence-get"`
	PresenceUpsert  string `query:"live-presence-upsert"`
	PresenceDelete  string `query:"live-presence-delete"`
	PresenceOf      string `query:"live-presence-of"`
	PresenceExpired string `query:"live-presence-expired-any"`
	PresenceExpire  string `query:"live-presence-expire"`
}

// loadQueries reads the statements for dialect from files (queryFiles but in tests).
func loadQueries(files fs.FS, dialect db.Dialect) (queries, error) {
	var q queries
	if err := db.LoadQueriesDir(files, "queries", dialect, &q); err != nil {
		return q, fmt.Errorf("live: %w", err)
	}
	return q, nil
}
