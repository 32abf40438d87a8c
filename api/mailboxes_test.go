package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/postdesk/postdesk/api"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
)

func TestAdminsPauseResumeAndRemoveMailboxes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		ctx := context.Background()
		// Without mailboxes wired, the routes say so.
		e.as("admin", "GET", "/mailboxes", nil).want(t, http.StatusServiceUnavailable, "")
		secret, err := e.store.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		boxes := mailbox.NewStore(d, secret)
		m, err := boxes.Add(ctx, mailbox.New{PropertyID: e.acme.ID, Host: "imap.acme.example", Port: 993, TLS: mailbox.TLSImplicit,
			Username: "support", Password: "secret pw", Folder: "INBOX", After: mailbox.AfterSeen})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.New(api.Config{Store: e.store, Domain: domain, Mailboxes: boxes}))
		t.Cleanup(srv.Close)
		e.srv = srv
		id := itoa(m.ID)

		var list struct{ Mailboxes []map[string]any }
		e.as("admin", "GET", "/mailboxes", nil).want(t, http.StatusOK, "").decode(t, &list)
		if len(list.Mailboxes) != 1 || list.Mailboxes[0]["paused"] != false || list.Mailboxes[0]["username"] != "support" {
			t.Fatalf("mailboxes %+v", list)
		}
		for k := range list.Mailboxes[0] {
			if k == "password" || k == "secret" {
				t.Fatalf("the list shows %s", k)
			}
		}
		e.as("manager", "POST", "/mailboxes/"+id+"/pause", nil).want(t, http.StatusForbidden, "")
		if r := e.do("POST", "/api/v1/properties/beta/mailboxes/"+id+"/pause", e.token["beta"], nil); r.status != http.StatusNotFound {
			t.Fatalf("beta pausing acme's mailbox: %d", r.status)
		}
		e.as("admin", "POST", "/mailboxes/"+id+"/pause", nil).want(t, http.StatusNoContent, "")
		if got, _ := boxes.Get(ctx, m.ID); !got.Paused || got.LeaseOwner != mailbox.PausedOwner {
			t.Fatalf("after pause: %+v", got)
		}
		e.as("admin", "GET", "/mailboxes", nil).decode(t, &list)
		if list.Mailboxes[0]["paused"] != true {
			t.Fatalf("listed as %+v", list.Mailboxes[0])
		}
		e.as("admin", "POST", "/mailboxes/"+id+"/resume", nil).want(t, http.StatusNoContent, "")
		if got, _ := boxes.Get(ctx, m.ID); got.Paused {
			t.Fatal("still paused")
		}
		e.as("admin", "DELETE", "/mailboxes/"+id, nil).want(t, http.StatusNoContent, "")
		e.as("admin", "DELETE", "/mailboxes/"+id, nil).want(t, http.StatusNotFound, "id")
	})
}
