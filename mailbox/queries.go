package mailbox

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/postdesk/postdesk/db"
)

// queryFiles holds the store's SQL (see db.LoadQueries).
//
//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the store's named statements.
type queries struct {
	Insert               string `query:"mailbox-insert"`
	ByID                 string `query:"mailbox-by-id"`
	All                  string `query:"mailboxes-all"`
	OfProperty           string `query:"mailboxes-of-property"`
	Claim                string `query:"mailbox-claim"`
	Release              string `query:"mailbox-release"`
	Restart              string `query:"mailbox-restart"`
	Advance              string `query:"mailbox-advance"`
	Polled               string `query:"mailbox-polled"`
	PolledBacklogUnknown string `query:"mailbox-polled-backlog-unknown"`
	OfGrant              string `query:"mailboxes-of-grant"`
	GrantSave            string `query:"grant-save"`
	GrantByID            string `query:"grant-by-id"`
	GrantByAccount       string `query:"grant-by-account"`
	GrantsAll            string `query:"grants-all"`
	GrantRotate          string `query:"grant-rotate"`
	GrantSignInNeeded    string `query:"grant-signin-needed"`
	Pause                string `query:"mailbox-pause"`
	Resume               string `query:"mailbox-resume"`
	Delete               string `query:"mailbox-delete"`
}

func loadQueries(files fs.FS, dialect db.Dialect) (queries, error) {
	var q queries
	if err := db.LoadQueriesDir(files, "queries", dialect, &q); err != nil {
		return q, fmt.Errorf("mailbox: %w", err)
	}
	return q, nil
}
