package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

// The outbox by hand, against a running serve: what failed is listed and sent again on retry;
// an uncertain mail is sent again only with --force; a dropped mail is gone, never sent.
func TestTheOutboxByHandFromTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newDesk(t, e.DSN(t))
			// Of the four mails a new ticket causes, the relay refuses two and drops the
			// connection after the end of DATA of one.
			d.relay.Script(mailertest.Refuse, mailertest.DropAfterData, mailertest.Refuse)
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
			if got := len(d.drained()); got != 1 {
				t.Fatalf("the relay took %d mails, want 1", got)
			}
			list := func(status string) []outboxView {
				t.Helper()
				var rows []outboxView
				if err := json.Unmarshal([]byte(must(t, d.dsn, "outbox", "list", "--status", status, "--json")), &rows); err != nil {
					t.Fatal(err)
				}
				return rows
			}
			failed, uncertain := list("failed"), list("uncertain")
			if len(failed) != 2 || len(uncertain) != 1 || len(list("sent")) != 1 || len(list("pending")) != 0 {
				t.Fatalf("failed %+v, uncertain %+v", failed, uncertain)
			}
			if table := must(t, d.dsn, "outbox", "list"); !strings.Contains(table, "STATUS") || strings.Count(table, "failed") != 2 || !strings.Contains(table, "uncertain") {
				t.Fatalf("outbox list:\n%s", table)
			}
			id := func(r outboxView) string { return strconv.FormatInt(r.ID, 10) }

			// Uncertain: not without --force, which says why.
			code, _, errs := postdesk(t, d.dsn, "outbox", "retry", id(uncertain[0]))
			if code != 1 || !strings.Contains(errs, "may already have been delivered") || !strings.Contains(errs, "--force") {
				t.Fatalf("retry of an uncertain mail: exit %d: %s", code, errs)
			}
			if code, _, _ := postdesk(t, d.dsn, "outbox", "drop", id(list("sent")[0])); code != 1 {
				t.Fatalf("drop of a sent mail: exit %d", code)
			}
			if code, _, _ := postdesk(t, d.dsn, "outbox", "retry"); code != 2 {
				t.Fatalf("retry without ID: exit %d", code)
			}

			must(t, d.dsn, "outbox", "retry", id(failed[0]))
			if got := len(d.drained()); got != 2 {
				t.Fatalf("after the retry the relay has %d mails, want 2", got)
			}
			if out := must(t, d.dsn, "outbox", "retry", "--all-failed"); !strings.HasPrefix(out, "1 failed") {
				t.Fatalf("retry --all-failed: %q", out)
			}
			if got := len(d.drained()); got != 3 {
				t.Fatalf("after retry --all-failed the relay has %d mails, want 3", got)
			}
			must(t, d.dsn, "outbox", "retry", "--force", id(uncertain[0]))
			if got := len(d.drained()); got != 4 || len(list("")) != 0 {
				t.Fatalf("after the forced retry the relay has %d mails, want 4; left: %+v", got, list(""))
			}

			// A mail dropped is never sent, and the ticket's log says so.
			d.relay.Script(mailertest.Refuse)
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Toner\nMessage-ID: <c2@customer.example>\n\nEmpty.\n")
			d.drained()
			f := list("failed")
			if len(f) != 1 {
				t.Fatalf("failed: %+v", f)
			}
			if out := must(t, d.dsn, "outbox", "drop", id(f[0])); !strings.Contains(out, "dropped") {
				t.Fatalf("drop: %q", out)
			}
			if len(list("all")) != 7 || len(list("")) != 0 {
				t.Fatalf("after the drop: %+v", list("all"))
			}
			if code, _, errs := postdesk(t, d.dsn, "outbox", "drop", id(f[0])); code != 1 || !strings.Contains(errs, "no such mail") {
				t.Fatalf("drop again: exit %d: %s", code, errs)
			}
		})
	}
}
