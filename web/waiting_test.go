package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// rowOf is the list row of ticket n in an inbox page ("" when it is not listed).
func rowOf(page string, n int64) string {
	m := regexp.MustCompile(`(?s)<tr class="[^"]*" data-number="` + fmt.Sprint(n) + `".*?</tr>`).FindString(page)
	return m
}

// The list shows who waits: an open ticket waiting for us is "Open" in orange with how long the
// customer has waited; one waiting for the customer shows plainly; a closed one how long it took.
// The ticket page shows its first-response and resolution times.
func TestTheInboxShowsWhoIsWaiting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		ctx := context.Background()
		alice, err := s.store.AgentByEmail(ctx, s.acme.ID, "alice@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		resolved := s.mail(s.acme, "ed@customer.example", "Resolved long ago", "?", "").TicketNumber
		s.clock.Advance(48 * time.Hour)
		if _, err := s.store.Close(ctx, s.acme.ID, resolved, tickets.AgentActor(alice)); err != nil {
			t.Fatal(err)
		}
		asked := s.mail(s.acme, "carol@customer.example", "Nobody answered", "Hello?", "").TicketNumber
		answered := s.mail(s.acme, "dan@customer.example", "We answered", "Hi", "").TicketNumber
		s.clock.Advance(3 * time.Hour)
		if _, err := s.store.Reply(ctx, s.acme, answered, alice, tickets.Outgoing{Text: "Here you are."}, "r1@acme.example"); err != nil {
			t.Fatal(err)
		}

		b := s.browser()
		b.signIn("alice@acme.example", "correct horse")
		_, page, _ := b.get("/p/acme/")
		row := rowOf(page, asked)
		if !strings.Contains(row, `class="row unread waiting"`) || !strings.Contains(row, `<span class="waiting" title="The customer is waiting for an answer">Open</span>`) ||
			!strings.Contains(row, "waiting 3 h") {
			t.Errorf("the ticket nobody answered should be Open in orange, waiting 3 h:\n%s", row)
		}
		row = rowOf(page, answered)
		if strings.Contains(row, "waiting") || !strings.Contains(row, `<span title="We answered: the customer has the next word">Open</span>`) {
			t.Errorf("the answered ticket should show Open plainly:\n%s", row)
		}
		if row = rowOf(page, resolved); !strings.Contains(row, "Closed") || !strings.Contains(row, "resolved in 2 d") {
			t.Errorf("the closed ticket should say how long it took:\n%s", row)
		}

		// The filter, and the sort: the longest waiting for us first, then for the customer,
		// then the closed.
		_, page, _ = b.get("/p/acme/?waiting=us")
		if rowOf(page, asked) == "" || rowOf(page, answered) != "" || rowOf(page, resolved) != "" || !strings.Contains(page, `<option value="us" selected>Waiting for us</option>`) {
			t.Errorf("waiting=us lists:\n%s", page)
		}
		_, page, _ = b.get("/p/acme/?sort=waiting")
		// rowAt is where ticket n's row starts, -1 without one (an empty row would be "at" 0).
		rowAt := func(n int64) int {
			if r := rowOf(page, n); r != "" {
				return strings.Index(page, r)
			}
			return -1
		}
		if i, j, k := rowAt(asked), rowAt(answered), rowAt(resolved); !(i >= 0 && i < j && j < k) {
			t.Errorf("sort=waiting: rows at %d, %d, %d", i, j, k)
		}
		if !strings.Contains(page, `<option value="waiting" selected>Longest waiting</option>`) {
			t.Errorf("the sort is not shown as chosen")
		}
		if code, page, _ := b.get("/p/acme/?waiting=later"); code != 400 || !strings.Contains(page, `waiting &#34;later&#34;`) {
			t.Errorf("waiting=later: %d\n%s", code, page)
		}

		// The ticket pages.
		_, page, _ = b.get(fmt.Sprintf("/p/acme/t/%d", asked))
		if !strings.Contains(page, `class="badge status-open waiting"`) || !regexp.MustCompile(`(?s)id="waiting">.*Waiting for us.*waiting 3 h`).MatchString(page) ||
			!strings.Contains(page, `id="first-response"><span class="none">none yet</span>`) || strings.Contains(page, `id="resolution"`) {
			t.Errorf("the page of the ticket nobody answered:\n%s", page)
		}
		_, page, _ = b.get(fmt.Sprintf("/p/acme/t/%d", answered))
		if strings.Contains(page, "status-open waiting") || !strings.Contains(page, "Waiting for the customer") || !regexp.MustCompile(`id="first-response"><span title="[^"]+">after 3 h</span>`).MatchString(page) {
			t.Errorf("the page of the answered ticket:\n%s", page)
		}
		_, page, _ = b.get(fmt.Sprintf("/p/acme/t/%d", resolved))
		if !strings.Contains(page, `id="resolution">2 d</dd>`) {
			t.Errorf("the page of the closed ticket:\n%s", page)
		}
	})
}
