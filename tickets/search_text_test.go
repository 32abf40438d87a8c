package tickets_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Full-text search and the searches refused (the world is search_test.go's).

func TestSearchFullText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		fire := w.mail(t, w.p, "f1@customer.example", "ann@customer.example", "Printer on fire", "It smokes.")
		w.clk.Advance(time.Minute)
		w.mail(t, w.p, "f2@customer.example", "bob@customer.example", "Question", "Where is my parcel?")
		w.clk.Advance(time.Minute)
		late := w.mail(t, w.p, "f1b@customer.example", "ann@customer.example", "Re: Printer on fire", "Now the xylophone melted too.", "f1@customer.example")
		w.mail(t, w.other, "g1@customer.example", "ann@customer.example", "Printer xylophone", "printer xylophone parcel")
		drainSearch(t, w.s)
		search := func(text string) ([]int64, error) {
			p, err := w.s.Search(w.ctx, w.p.ID, w.alice.ID, tickets.Query{Text: text})
			var nums []int64
			for _, it := range p.Tickets {
				nums = append(nums, it.Number)
			}
			return nums, err
		}
		check := func(plan string) {
			for _, c := range []struct {
				text string
				want []int64
			}{
				{"printer", []int64{fire.TicketNumber}},          // the subject
				{"PRINTER fire", []int64{fire.TicketNumber}},     // every word, any case
				{"xylophone", []int64{late.TicketNumber}},        // a later message's body
				{"melted xylophone", []int64{late.TicketNumber}}, // two words of one message
				{"parcel", []int64{2}},
				{"printer parcel", nil}, // no message holds both
				{"elephant", nil},
				{"smoke", nil}, // words, not prefixes
			} {
				got, err := search(c.text)
				if err != nil || !slices.Equal(got, c.want) {
					t.Errorf("%s: search %q: %v, %v; want %v", plan, c.text, got, err, c.want)
				}
			}
		}
		check("rare words")
		// The same words, common in the other property: the plan may change, the answer not.
		w.bulk(t, w.otherIDs, "printer fire xylophone melted parcel smokes elephant", 600)
		drainSearch(t, w.s)
		check("common words")
		// Hostile input: never a failure of the database; either results or ErrInvalid.
		for _, text := range []string{`"`, `AND (`, `printer"`, `"printer`, `printer OR parcel`, `NOT printer`, `printer*`, `*`,
			`subject:printer`, `text_body:xylophone`, `NEAR(printer fire)`, `^printer`, `printer -fire`, `'; DROP TABLE tickets; --`,
			`printer & fire | !parcel`, `(`, `)`, `{subject}: printer`, "\x00printer", `\`, `:*`, `printer:*`, "\xff\xfe", strings.Repeat("word ", 200)} {
			got, err := search(text)
			if err != nil && !errors.Is(err, tickets.ErrInvalid) {
				t.Errorf("search %q: %v", text, err)
			}
			if err != nil && !strings.Contains(err.Error(), "text") {
				t.Errorf("search %q: error %q does not name the field", text, err)
			}
			for _, n := range got {
				if n != fire.TicketNumber && n != late.TicketNumber && n != 2 {
					t.Errorf("search %q found #%d", text, n)
				}
			}
		}
		for _, text := range []string{`printer OR parcel`, `printer"`, `printer:`, `printer*`, `^printer`, `(printer)`} {
			if got, err := search(text); err != nil || (!strings.Contains(text, "OR") && !slices.Equal(got, []int64{fire.TicketNumber})) {
				t.Errorf("search %q: %v, %v: the words should be searched as words", text, got, err)
			}
		}
		if _, err := search(`"`); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("a search with no words: %v, want ErrInvalid", err)
		}

		// The index follows the messages: an edited body, a deleted message, a renamed ticket.
		w.exec(t, `UPDATE messages SET text_body = ? WHERE ticket_id = ? AND text_body LIKE ?`, "Now the harpsichord melted too.", late.TicketID, "%xylophone%")
		drainSearch(t, w.s) // an edited message is queued again
		if got, _ := search("xylophone"); len(got) != 0 {
			t.Errorf("after the edit, xylophone still finds %v", got)
		}
		if got, _ := search("harpsichord"); !slices.Equal(got, []int64{late.TicketNumber}) {
			t.Errorf("after the edit, harpsichord finds %v", got)
		}
		w.exec(t, `DELETE FROM messages WHERE ticket_id = ? AND text_body LIKE ?`, late.TicketID, "%harpsichord%")
		if got, _ := search("harpsichord"); len(got) != 0 {
			t.Errorf("after the delete, harpsichord finds %v", got)
		}
		w.exec(t, `UPDATE tickets SET subject = ? WHERE id = ?`, "Toaster trouble", fire.TicketID)
		if got, _ := search("toaster"); !slices.Equal(got, []int64{fire.TicketNumber}) {
			t.Errorf("renamed ticket: toaster finds %v", got)
		}
		if d.Dialect == db.SQLite {
			// Deleting a ticket (and its messages, by cascade) leaves nothing in the index.
			w.exec(t, `DELETE FROM ticket_events WHERE ticket_id = ?`, fire.TicketID)
			w.exec(t, `DELETE FROM thread_ids WHERE ticket_id = ?`, fire.TicketID)
			w.exec(t, `UPDATE outbox SET ticket_id = NULL WHERE ticket_id = ?`, fire.TicketID)
			var before int
			if err := d.GetContext(w.ctx, &before, `SELECT count(*) FROM search_fts WHERE rowid >> 32 = ?`, fire.TicketID); err != nil || before != 2 {
				t.Errorf("index rows of ticket #%d (subject, first message): %d, %v", fire.TicketNumber, before, err)
			}
			w.exec(t, `DELETE FROM tickets WHERE id = ?`, fire.TicketID)
			var n int
			if err := d.GetContext(w.ctx, &n, `SELECT count(*) FROM search_fts WHERE rowid >> 32 = ?`, fire.TicketID); err != nil || n != 0 {
				t.Errorf("index rows of a deleted ticket: %d, %v", n, err)
			}
		}
	})
}

func TestSearchRejectsInvalidInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		for i := range 3 {
			w.mail(t, w.p, fmt.Sprintf("i%d@customer.example", i), "ann@customer.example", "Hello", "hi")
		}
		early, late := w.clk.Now(), w.clk.Now().Add(time.Hour)
		first, err := w.s.Search(w.ctx, w.p.ID, w.alice.ID, tickets.Query{Limit: 1})
		if err != nil || first.Next == "" {
			t.Fatalf("first page: %+v, %v", first, err)
		}
		for _, c := range []struct {
			field string
			q     tickets.Query
		}{
			{"view", tickets.Query{View: "inbox"}},
			{"view", tickets.Query{View: "mine"}}, // with no viewer, below
			{"sort", tickets.Query{Sort: "subject"}},
			{"priority", tickets.Query{Priorities: []string{"normal", "critical"}}},
			{"status", tickets.Query{Status: "pending"}},
			{"assignee", tickets.Query{Assignee: "somebody"}},
			{"limit", tickets.Query{Limit: -1}},
			{"limit", tickets.Query{Limit: 201}},
			{"created", tickets.Query{CreatedFrom: &late, CreatedTo: &early}},
			{"updated", tickets.Query{UpdatedFrom: &late, UpdatedTo: &early}},
			{"min_messages", tickets.Query{MinMessages: -1}},
			{"text", tickets.Query{Text: "?!"}},
			{"tags", tickets.Query{Tags: []string{" "}}},
			{"after", tickets.Query{After: "not a cursor!"}},
			{"after", tickets.Query{After: "eyJzIjoidXBkYXRlZCJ9"}},                       // {"s":"updated"}: no key
			{"after", tickets.Query{After: first.Next, Sort: "created"}},                  // another sort's
			{"after", tickets.Query{After: first.Next, Asc: true}},                        // another direction's
			{"after", tickets.Query{After: first.Next + "x"}},                             // damaged
			{"after", tickets.Query{After: strings.Repeat("A", 600)}},                     // too long
			{"after", tickets.Query{After: "eyJzIjoic3RhdHVzIiwiayI6Im9wZW4iLCJpIjoxfQ"}}, // a status cursor
		} {
			viewer := w.alice.ID
			if c.q.View == "mine" {
				viewer = 0
			}
			_, err := w.s.Search(w.ctx, w.p.ID, viewer, c.q)
			if !errors.Is(err, tickets.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
				t.Errorf("%+v: %v, want ErrInvalid naming %s", c.q, err, c.field)
			}
		}
		// A range of one instant is empty, not reversed; so is a cursor of the other property's
		// list: it only positions, it opens nothing.
		if p, err := w.s.Search(w.ctx, w.p.ID, w.alice.ID, tickets.Query{CreatedFrom: &early, CreatedTo: &early}); err != nil || len(p.Tickets) != 0 {
			t.Errorf("empty range: %+v, %v", p, err)
		}
		if p, err := w.s.Search(w.ctx, w.other.ID, w.alice.ID, tickets.Query{After: first.Next}); err != nil || len(p.Tickets) != 0 {
			t.Errorf("other property with a cursor: %+v, %v", p, err)
		}
	})
}
