package mailbox

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
		s, err := Open(context.Background(), d, []byte("a server secret of enough length"))
		if err != nil {
			t.Fatal(err)
		}
		if s.qs.Claim == "" {
			t.Fatal("the query set is not filled")
		}
	})
}

func TestABrokenQueryFailsTheStoreAtStart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b, err := fs.ReadFile(queryFiles, "queries/mailboxes.sql")
		if err != nil {
			t.Fatal(err)
		}
		broken := strings.Replace(string(b), "SET lease_owner = '', lease_until = NULL", "SET lease_ownr = ''", 1)
		if broken == string(b) {
			t.Fatal("the statement to break is not there")
		}
		grants, err := fs.ReadFile(queryFiles, "queries/oauth.sql")
		if err != nil {
			t.Fatal(err)
		}
		files := fstest.MapFS{"queries/mailboxes.sql": &fstest.MapFile{Data: []byte(broken)}, "queries/oauth.sql": &fstest.MapFile{Data: grants}}
		_, err = openStore(context.Background(), d, files, []byte("a server secret of enough length"))
		if err == nil || !strings.Contains(err.Error(), `"mailbox-release"`) {
			t.Fatalf("open with a broken statement = %v, want an error naming mailbox-release", err)
		}
	})
}
