package web_test

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// A rated ticket shows its rating and comment on its page, with the event; the list shows it,
// filters on it, and the closed view counts the last 30 days' ratings.
func TestRatingsShowOnTheTicketAndFilterTheList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		a := s.mail(s.acme, "carol@work.example", "Kettle leaks", "Drips.", "")
		s.mail(s.acme, "dan@work.example", "Toaster smokes", "Smoke.", "")
		ctx := s.t.Context()
		tk, err := s.store.Close(ctx, s.acme.ID, a.TicketNumber, tickets.ActorCLI)
		if err != nil {
			t.Fatal(err)
		}
		s.store.Close(ctx, s.acme.ID, 2, tickets.ActorCLI)
		if _, err := s.store.Rate(ctx, tickets.NewRating{PropertyID: s.acme.ID, TicketID: a.TicketID, ClosedAt: *tk.ClosedAt, Rating: "bad", Comment: "Still <drips>"}); err != nil {
			t.Fatal(err)
		}
		br := s.browser()
		br.signIn("alice@acme.example", "correct horse")
		_, page, _ := br.get("/p/acme/t/1")
		for _, want := range []string{`<dd id="rating"><span class="rating r-bad">bad</span>`, `Still &lt;drips&gt;`, "customer rated</b> bad"} {
			if !strings.Contains(page, want) {
				t.Errorf("the ticket page lacks %q", want)
			}
		}
		if _, page, _ := br.get("/p/acme/t/2"); strings.Contains(page, `id="rating"`) {
			t.Error("an unrated ticket shows a rating")
		}
		_, page, _ = br.get("/p/acme/?view=closed&rating=bad")
		if !strings.Contains(page, "Kettle leaks") || strings.Contains(page, "Toaster smokes") || !strings.Contains(page, `<option value="bad" selected>`) {
			t.Fatalf("rating=bad:\n%s", page)
		}
		if !strings.Contains(page, `id="ratings"`) || !strings.Contains(page, `rating=bad" class="rating r-bad">bad 1</a>`) || !strings.Contains(page, "0% good") {
			t.Errorf("the summary above the closed view:\n%s", page)
		}
		_, page, _ = br.get("/p/acme/?view=closed&rating=none")
		if strings.Contains(page, "Kettle leaks") || !strings.Contains(page, "Toaster smokes") {
			t.Fatalf("rating=none:\n%s", page)
		}
		if _, page, _ := br.get("/p/acme/?view=all"); strings.Contains(page, `id="ratings"`) {
			t.Error("the summary shows on the open views")
		}
		if code, _, _ := br.get("/p/acme/?rating=great"); code != 400 {
			t.Errorf("rating=great: %d", code)
		}
	})
}
