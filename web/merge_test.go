package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// From a ticket's page an agent merges it into another, after a confirmation naming both; the
// merged ticket's page then leads to the other, which holds both conversations.
func TestMergeFromTheTicketPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		a := s.mail(s.acme, "carol@work.example", "Kettle leaks", "From work.", "")
		b := s.mail(s.acme, "carol@home.example", "Kettle still leaks", "From home.", "")
		if a.TicketNumber != 1 || b.TicketNumber != 2 {
			t.Fatalf("tickets %d and %d", a.TicketNumber, b.TicketNumber)
		}
		br := s.browser()
		br.signIn("alice@acme.example", "correct horse")
		if _, page, _ := br.get("/p/acme/t/2"); !strings.Contains(page, `id="merge-form"`) || !strings.Contains(page, "Merge into…") {
			t.Fatalf("the ticket page has no merge form:\n%s", page)
		}
		if code, _, _ := br.post("/p/acme/t/2/act", url.Values{"csrf": {br.csrf}, "action": {"merge"}, "into": {"2"}, "confirm": {"1"}}); code < 400 {
			t.Errorf("merging a ticket into itself: %d, want an error", code)
		}
		if code, _, _ := br.post("/p/acme/t/2/act", url.Values{"csrf": {br.csrf}, "action": {"merge"}, "into": {"99"}}); code != http.StatusNotFound {
			t.Errorf("merging into no ticket: %d, want 404", code)
		}
		code, page, _ := br.post("/p/acme/t/2/act", url.Values{"csrf": {br.csrf}, "action": {"merge"}, "into": {"1"}})
		if code != 200 || !strings.Contains(page, "Merge #2 “Kettle still leaks” into #1 “Kettle leaks”?") || !strings.Contains(page, "cannot be undone") {
			t.Fatalf("merge asks first, naming both: %d\n%s", code, page)
		}
		if _, err := s.store.Ticket(s.t.Context(), s.acme.ID, 2); err != nil {
			t.Fatalf("asking merged already: %v", err)
		}
		code, _, h := br.post("/p/acme/t/2/act", url.Values{"csrf": {br.csrf}, "action": {"merge"}, "into": {"1"}, "confirm": {"1"}})
		if code != http.StatusSeeOther || h.Get("Location") != "/p/acme/t/1" {
			t.Fatalf("merge: %d to %q", code, h.Get("Location"))
		}
		_, page, _ = br.get("/p/acme/t/1")
		for _, want := range []string{"#2 was merged into this ticket.", "From work.", "From home.", "carol@home.example"} {
			if !strings.Contains(page, want) {
				t.Errorf("the merged-into ticket's page lacks %q", want)
			}
		}
		if code, _, h := br.get("/p/acme/t/2"); code != http.StatusMovedPermanently || h.Get("Location") != "/p/acme/t/1" {
			t.Errorf("the merged ticket's page: %d to %q, want a redirect to #1", code, h.Get("Location"))
		}
		if _, page, _ := br.get("/p/acme/t/1"); !strings.Contains(page, "#2 was merged into #1.") {
			t.Errorf("after the redirect, the page does not say why")
		}
		if _, page, _ := br.get("/p/acme/?view=all"); strings.Contains(page, "Kettle still leaks") || !strings.Contains(page, "Kettle leaks") {
			t.Errorf("the inbox after the merge:\n%s", page)
		}
	})
}
