package tickets_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

// swWorld is a property with tickets of every kind, and a second property whose tickets must
// never show.
type swWorld struct {
	s          *tickets.Store
	d          *db.DB
	clk        *testclock.Clock
	ctx        context.Context
	p, other   tickets.Property
	secret     []byte
	alice, bob tickets.Agent
	// ids of the other property's tickets
	otherIDs map[int64]bool
}

func swNew(t *testing.T, d *db.DB) *swWorld {
	t.Helper()
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	w := &swWorld{s: tickets.New(d, tickets.WithClock(clk.Now)), d: d, clk: clk, ctx: context.Background(), otherIDs: map[int64]bool{}}
	var err error
	if w.p, err = w.s.CreateProperty(w.ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if w.other, err = w.s.CreateProperty(w.ctx, tickets.NewProperty{Slug: "globex", Name: "Globex", FromAddress: "help@globex.example"}); err != nil {
		t.Fatal(err)
	}
	if w.secret, err = w.s.Secret(w.ctx); err != nil {
		t.Fatal(err)
	}
	if w.alice, err = w.s.AddAgent(w.ctx, w.p.ID, "alice@acme.example", "Alice", ""); err != nil {
		t.Fatal(err)
	}
	if w.bob, err = w.s.AddAgent(w.ctx, w.p.ID, "bob@acme.example", "Bob", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.AddDepartment(w.ctx, w.p.ID, "Billing", []string{"bob@acme.example"}); err != nil {
		t.Fatal(err)
	}
	// Alice works for the other property too: she must still only see one property at a time.
	if _, err := w.s.AddAgent(w.ctx, w.other.ID, "alice@acme.example", "Alice", ""); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *swWorld) mail(t *testing.T, p tickets.Property, msgID, from, subject, text string, inReplyTo ...string) tickets.Delivery {
	t.Helper()
	to := "support@acme.example"
	if p.ID == w.other.ID {
		to = "help@globex.example"
	}
	in := tickets.Inbound{
		From: tickets.Address{Email: from}, To: []tickets.Address{{Email: to}}, Subject: subject,
		MessageID: msgID, InReplyTo: inReplyTo, Text: text, Kind: "human",
		Raw: []byte("Subject: " + subject + "\r\n\r\n" + text),
	}
	d, err := w.s.Deliver(w.ctx, p, w.secret, in)
	if err != nil || d.Duplicate {
		t.Fatalf("deliver %s: %+v, %v", msgID, d, err)
	}
	return d
}

var swWords = []string{"printer", "invoice", "refund", "login", "shipping", "warranty"}

// populate builds n tickets in property p with every combination the filters look at. Clock ticks
// come every third ticket, so many share updated_at and created_at: the order must fall back on
// the id.
func (w *swWorld) populate(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if i%3 == 0 {
			w.clk.Advance(time.Minute)
		}
		word := swWords[i%len(swWords)]
		d := w.mail(t, w.p, fmt.Sprintf("a%d@customer.example", i), fmt.Sprintf("cust%d@customer.example", i%4),
			fmt.Sprintf("Ticket %d about %s", i, word), "Dear support, body words "+word+" here.")
		num := d.TicketNumber
		if i%4 == 0 { // two more messages
			w.mail(t, w.p, fmt.Sprintf("a%d-r1@customer.example", i), fmt.Sprintf("cust%d@customer.example", i%4), "Re: Ticket", "more", fmt.Sprintf("a%d@customer.example", i))
			w.mail(t, w.p, fmt.Sprintf("a%d-r2@customer.example", i), fmt.Sprintf("cust%d@customer.example", i%4), "Re: Ticket", "still more", fmt.Sprintf("a%d@customer.example", i))
		}
		if i%3 == 1 { // answered: waiting for the customer, or for us again after her answer
			reply := fmt.Sprintf("p%d@acme.example", i)
			if _, err := w.s.Reply(w.ctx, w.p, num, w.alice, tickets.Outgoing{Text: "Looking into it."}, reply); err != nil {
				t.Fatal(err)
			}
			if i%9 == 4 {
				w.clk.Advance(time.Second)
				w.mail(t, w.p, fmt.Sprintf("a%d-r3@customer.example", i), fmt.Sprintf("cust%d@customer.example", i%4), "Re: Ticket", "thanks", reply)
			}
		}
		w.exec(t, `UPDATE tickets SET priority = ? WHERE id = ?`, tickets.Priorities[(i/2)%4], d.TicketID)
		switch i % 5 {
		case 0, 3:
			w.assign(t, num, "alice@acme.example")
		case 1:
			w.assign(t, num, "bob@acme.example")
		case 2:
			w.assign(t, num, "Billing")
		}
		if i%2 == 0 {
			w.exec(t, `INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, 'vip')`, d.TicketID)
		}
		if i%3 == 0 {
			w.exec(t, `INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, 'billing')`, d.TicketID)
		}
		if i%4 == 3 {
			if _, err := w.s.Close(w.ctx, w.p.ID, num, "agent:alice@acme.example"); err != nil {
				t.Fatal(err)
			}
		}
		now := w.clk.Now()
		switch i % 11 {
		case 5:
			w.exec(t, `UPDATE tickets SET snoozed_until = ? WHERE id = ?`, now.Add(24*time.Hour), d.TicketID)
		case 6:
			w.exec(t, `UPDATE tickets SET snoozed_until = ? WHERE id = ?`, now.Add(-time.Hour), d.TicketID) // over: visible
		case 7:
			w.exec(t, `UPDATE tickets SET spam = ? WHERE id = ?`, true, d.TicketID)
		case 8:
			w.exec(t, `UPDATE tickets SET deleted_at = ? WHERE id = ?`, now, d.TicketID)
		case 9:
			w.exec(t, `UPDATE tickets SET spam = ?, deleted_at = ? WHERE id = ?`, true, now, d.TicketID)
		}
	}
	// The other property: the same words, the same customers, some assigned to Alice.
	for i := range 6 {
		d := w.mail(t, w.other, fmt.Sprintf("g%d@customer.example", i), fmt.Sprintf("cust%d@customer.example", i%4),
			fmt.Sprintf("Globex %s", swWords[i%len(swWords)]), "body words "+swWords[i%len(swWords)])
		w.otherIDs[d.TicketID] = true
		w.exec(t, `UPDATE tickets SET assignee_agent_id = ? WHERE id = ?`, w.alice.ID, d.TicketID)
		w.exec(t, `INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, 'vip')`, d.TicketID)
	}
	drainSearch(t, w.s)
}

// swRef is a ticket as the test's own model of the views sees it.
type swRef struct {
	ID         int64      `db:"id"`
	Number     int64      `db:"number"`
	Status     string     `db:"status"`
	Priority   string     `db:"priority"`
	Assignee   string     `db:"assignee"`
	Department string     `db:"department"`
	Contact    string     `db:"contact"`
	Messages   int        `db:"message_count"`
	Created    time.Time  `db:"created_at"`
	Updated    time.Time  `db:"updated_at"`
	Snoozed    *time.Time `db:"snoozed_until"`
	Spam       bool       `db:"spam"`
	Deleted    *time.Time `db:"deleted_at"`
	Waiting    *string    `db:"waiting"`
	Since      *time.Time `db:"waiting_since"`
	Tags       []string   `db:"-"`
}

func (w *swWorld) refs(t *testing.T) []swRef {
	t.Helper()
	var rs []swRef
	err := w.d.SelectContext(w.ctx, &rs, w.d.Rebind(`SELECT t.id, t.number, t.status, t.priority, COALESCE(a.email, '') AS assignee,
		COALESCE(d.name, '') AS department, COALESCE(c.email, '') AS contact, t.message_count, t.created_at, t.updated_at,
		t.snoozed_until, t.spam, t.deleted_at, t.waiting, t.waiting_since
		FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_agent_id LEFT JOIN departments d ON d.id = t.assignee_department_id
		LEFT JOIN contacts c ON c.id = t.contact_id WHERE t.property_id = ?`), w.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if err := w.d.SelectContext(w.ctx, &rs[i].Tags, w.d.Rebind(`SELECT tag FROM ticket_tags WHERE ticket_id = ?`), rs[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

var swRank = map[string]int{"low": 0, "normal": 1, "high": 2, "urgent": 3}

func swWaitRank(r swRef) int {
	switch {
	case r.Waiting == nil:
		return 2
	case *r.Waiting == tickets.WaitingUs:
		return 0
	}
	return 1
}

func swWaitKey(r swRef) time.Time {
	if r.Since != nil {
		return *r.Since
	}
	return r.Updated
}

// swExpect is the model: the numbers of the tickets the view shows, in order.
func swExpect(rs []swRef, now time.Time, viewer string, keep func(swRef) bool, view, sortBy string, asc bool) []int64 {
	var out []swRef
	for _, r := range rs {
		visible := r.Deleted == nil && !r.Spam && (r.Snoozed == nil || !r.Snoozed.After(now))
		var in bool
		switch view {
		case "all":
			in = visible
		case "mine":
			in = visible && r.Assignee == viewer && r.Status == "open"
		case "unassigned":
			in = visible && r.Assignee == "" && r.Department == "" && r.Status == "open"
		case "closed":
			in = visible && r.Status == "closed"
		case "snoozed":
			in = r.Deleted == nil && !r.Spam && r.Snoozed != nil && r.Snoozed.After(now)
		case "trash":
			in = r.Deleted != nil
		case "spam":
			in = r.Deleted == nil && r.Spam
		}
		if in && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	cmp := func(a, b swRef) int {
		var c int
		switch sortBy {
		case "updated":
			c = a.Updated.Compare(b.Updated)
		case "created":
			c = a.Created.Compare(b.Created)
		case "status":
			c = strings.Compare(a.Status, b.Status)
		case "priority":
			c = swRank[a.Priority] - swRank[b.Priority]
		case "waiting":
			// For us, for the customer, for nobody; the longest waiting first (descending, the
			// default, is the earliest since first).
			c = swWaitRank(a) - swWaitRank(b)
			if c == 0 {
				c = swWaitKey(a).Compare(swWaitKey(b))
			}
		}
		if c == 0 {
			c = int(a.ID - b.ID)
		}
		if asc == (sortBy == "waiting") {
			c = -c
		}
		return c
	}
	sort.Slice(out, func(i, j int) bool { return cmp(out[i], out[j]) < 0 })
	nums := []int64{}
	for _, r := range out {
		nums = append(nums, r.Number)
	}
	return nums
}

func TestSearchViewsSortsAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		w.populate(t, 44)
		rs := w.refs(t)
		now := w.clk.Now()
		for _, view := range tickets.Views {
			for _, sortBy := range tickets.Sorts {
				for _, asc := range []bool{false, true} {
					want := swExpect(rs, now, "alice@acme.example", nil, view, sortBy, asc)
					got := w.walk(t, w.alice.ID, tickets.Query{View: view, Sort: sortBy, Asc: asc, Limit: 4})
					if !slices.Equal(got, want) {
						t.Errorf("view %s sort %s asc %v:\n got %v\nwant %v", view, sortBy, asc, got, want)
					}
				}
			}
			if len(swExpect(rs, now, "alice@acme.example", nil, view, "updated", false)) == 0 {
				t.Errorf("view %s is empty in the fixture: the test proves nothing", view)
			}
		}
		// Defaults: view all, newest update first, 50 a page.
		p, err := w.s.Search(w.ctx, w.p.ID, w.alice.ID, tickets.Query{})
		if err != nil {
			t.Fatal(err)
		}
		want := swExpect(rs, now, "", nil, "all", "updated", false)
		var got []int64
		for _, it := range p.Tickets {
			got = append(got, it.Number)
		}
		if !slices.Equal(got, want) || p.Next != "" {
			t.Errorf("default query: %v next %q, want %v", got, p.Next, want)
		}
		// A page exactly full has no next page.
		p, err = w.s.Search(w.ctx, w.p.ID, w.alice.ID, tickets.Query{Limit: len(want)})
		if err != nil || len(p.Tickets) != len(want) || p.Next != "" {
			t.Errorf("exactly one full page: %d tickets, next %q, %v", len(p.Tickets), p.Next, err)
		}
		// Bob's "mine" is his own.
		if got, want := w.walk(t, w.bob.ID, tickets.Query{View: "mine", Limit: 3}), swExpect(rs, now, "bob@acme.example", nil, "mine", "updated", false); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("bob's mine: %v, want %v", got, want)
		}
	})
}

func TestSearchFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		w.populate(t, 40)
		// A ticket whose subject alone holds "refund", and one whose messages alone do.
		w.exec(t, `UPDATE tickets SET subject = 'Refund please' WHERE property_id = ? AND number = 2`, w.p.ID)
		w.exec(t, `UPDATE tickets SET subject = 'Something else' WHERE property_id = ? AND number = 3`, w.p.ID)
		// "refund" is common (in the other property), "printer" rare: both of SQLite's plans.
		w.bulk(t, w.otherIDs, "refund", 600)
		rs := w.refs(t)
		now := w.clk.Now()
		mid := rs[len(rs)/2].Created
		upd := rs[len(rs)/3].Updated
		ptr := func(t time.Time) *time.Time { return &t }
		hasTags := func(r swRef, tags ...string) bool {
			for _, tag := range tags {
				if !slices.Contains(r.Tags, tag) {
					return false
				}
			}
			return true
		}
		cases := []struct {
			name string
			q    tickets.Query
			keep func(swRef) bool
		}{
			{"status open", tickets.Query{Status: "open"}, func(r swRef) bool { return r.Status == "open" }},
			{"status closed", tickets.Query{Status: "closed"}, func(r swRef) bool { return r.Status == "closed" }},
			{"assignee alice", tickets.Query{Assignee: "Alice@Acme.example"}, func(r swRef) bool { return r.Assignee == "alice@acme.example" }},
			{"assigned", tickets.Query{Assignee: "assigned"}, func(r swRef) bool { return r.Assignee != "" }},
			{"unassigned", tickets.Query{Assignee: "unassigned"}, func(r swRef) bool { return r.Assignee == "" }},
			{"department", tickets.Query{Department: "billing"}, func(r swRef) bool { return r.Department == "Billing" }},
			{"tag", tickets.Query{Tags: []string{"vip"}}, func(r swRef) bool { return hasTags(r, "vip") }},
			{"tags all", tickets.Query{Tags: []string{"VIP", "billing"}}, func(r swRef) bool { return hasTags(r, "vip", "billing") }},
			{"priorities", tickets.Query{Priorities: []string{"high", "urgent"}}, func(r swRef) bool { return r.Priority == "high" || r.Priority == "urgent" }},
			{"priority low", tickets.Query{Priorities: []string{"low"}}, func(r swRef) bool { return r.Priority == "low" }},
			{"created from", tickets.Query{CreatedFrom: &mid}, func(r swRef) bool { return !r.Created.Before(mid) }},
			{"created to", tickets.Query{CreatedTo: &mid}, func(r swRef) bool { return r.Created.Before(mid) }},
			{"created range", tickets.Query{CreatedFrom: ptr(mid.Add(-3 * time.Minute)), CreatedTo: ptr(mid.Add(2 * time.Minute))},
				func(r swRef) bool {
					return !r.Created.Before(mid.Add(-3*time.Minute)) && r.Created.Before(mid.Add(2*time.Minute))
				}},
			{"updated from", tickets.Query{UpdatedFrom: &upd}, func(r swRef) bool { return !r.Updated.Before(upd) }},
			{"updated to", tickets.Query{UpdatedTo: &upd}, func(r swRef) bool { return r.Updated.Before(upd) }},
			{"min messages", tickets.Query{MinMessages: 3}, func(r swRef) bool { return r.Messages >= 3 }},
			{"contact", tickets.Query{Contact: "CUST1@customer.example"}, func(r swRef) bool { return r.Contact == "cust1@customer.example" }},
			{"waiting for us", tickets.Query{Waiting: tickets.WaitingUs}, func(r swRef) bool { return r.Waiting != nil && *r.Waiting == "us" }},
			{"waiting for the customer", tickets.Query{Waiting: tickets.WaitingCustomer}, func(r swRef) bool { return r.Waiting != nil && *r.Waiting == "customer" }},
			{"waiting and text", tickets.Query{Waiting: tickets.WaitingUs, Text: "refund"}, func(r swRef) bool {
				return r.Waiting != nil && *r.Waiting == "us" && (swWords[(r.Number-1)%int64(len(swWords))] == "refund" || strings.Contains(w.subject(t, r.Number), "refund"))
			}},
			{"text", tickets.Query{Text: "Refund"}, func(r swRef) bool {
				return swWords[(r.Number-1)%int64(len(swWords))] == "refund" || strings.Contains(w.subject(t, r.Number), "refund")
			}},
			{"combined", tickets.Query{Status: "open", Tags: []string{"vip"}, Priorities: []string{"low", "high"}, Assignee: "assigned", MinMessages: 1},
				func(r swRef) bool {
					return r.Status == "open" && hasTags(r, "vip") && (r.Priority == "low" || r.Priority == "high") && r.Assignee != "" && r.Messages >= 1
				}},
			{"combined text", tickets.Query{Text: "printer", Tags: []string{"vip"}, Contact: "cust0@customer.example"},
				func(r swRef) bool {
					return swWords[(r.Number-1)%int64(len(swWords))] == "printer" && hasTags(r, "vip") && r.Contact == "cust0@customer.example"
				}},
			{"nothing", tickets.Query{Contact: "nobody@customer.example"}, func(r swRef) bool { return false }},
		}
		for _, c := range cases {
			for _, view := range []string{"all", "closed", "mine", "trash"} {
				for _, sortBy := range []string{"updated", "priority", "waiting"} {
					q := c.q
					q.View, q.Sort, q.Limit = view, sortBy, 3
					want := swExpect(rs, now, "alice@acme.example", c.keep, view, sortBy, false)
					if got := w.walk(t, w.alice.ID, q); !slices.Equal(got, want) {
						t.Errorf("%s in %s by %s:\n got %v\nwant %v", c.name, view, sortBy, got, want)
					}
				}
			}
			if c.name != "nothing" && len(swExpect(rs, now, "", c.keep, "all", "updated", false)) == 0 {
				t.Errorf("%s selects nothing in view all: the test proves nothing", c.name)
			}
		}
		// What a list item carries.
		for _, c := range []struct {
			q  tickets.Query
			ok func(tickets.ListItem) bool
		}{
			{tickets.Query{View: "trash"}, func(it tickets.ListItem) bool {
				return it.Deleted && it.Tags != nil && it.Customer != "" && it.Subject != "" && it.CreatedAt.Location() == time.UTC && !it.CreatedAt.IsZero()
			}},
			{tickets.Query{View: "snoozed"}, func(it tickets.ListItem) bool {
				return it.SnoozedUntil != nil && it.SnoozedUntil.After(now) && !it.Deleted && !it.Spam
			}},
			{tickets.Query{View: "spam"}, func(it tickets.ListItem) bool { return it.Spam && !it.Deleted }},
			{tickets.Query{Tags: []string{"vip", "billing"}}, func(it tickets.ListItem) bool {
				return slices.Contains(it.Tags, "vip") && slices.Contains(it.Tags, "billing")
			}},
		} {
			p, err := w.s.Search(w.ctx, w.p.ID, w.alice.ID, c.q)
			if err != nil || len(p.Tickets) == 0 {
				t.Fatalf("%+v: %d tickets, %v", c.q, len(p.Tickets), err)
			}
			for _, it := range p.Tickets {
				if !c.ok(it) {
					t.Errorf("%+v: item %+v", c.q, it)
				}
			}
		}
	})
}

func TestSearchUnreadPerAgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		a := w.mail(t, w.p, "u1@customer.example", "ann@customer.example", "First", "one")
		b := w.mail(t, w.p, "u2@customer.example", "ann@customer.example", "Second", "two")
		c := w.mail(t, w.p, "u3@customer.example", "ann@customer.example", "Third", "three")
		w.clk.Advance(time.Minute)
		now := w.clk.Now()
		// Alice read a after its last change; b before it changed again; c never.
		w.exec(t, `INSERT INTO ticket_reads (ticket_id, agent_id, read_at) VALUES (?, ?, ?)`, a.TicketID, w.alice.ID, now)
		w.exec(t, `INSERT INTO ticket_reads (ticket_id, agent_id, read_at) VALUES (?, ?, ?)`, b.TicketID, w.alice.ID, now)
		w.clk.Advance(time.Minute)
		w.mail(t, w.p, "u2b@customer.example", "ann@customer.example", "Re: Second", "again", "u2@customer.example")
		unread := func(agent int64) map[int64]bool {
			p, err := w.s.Search(w.ctx, w.p.ID, agent, tickets.Query{})
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]bool{}
			for _, it := range p.Tickets {
				m[it.Number] = it.Unread
			}
			return m
		}
		if got := unread(w.alice.ID); got[a.TicketNumber] || !got[b.TicketNumber] || !got[c.TicketNumber] || len(got) != 3 {
			t.Errorf("alice's unread: %v (a=#%d read, b=#%d changed since, c=#%d never read)", got, a.TicketNumber, b.TicketNumber, c.TicketNumber)
		}
		if got := unread(w.bob.ID); !got[a.TicketNumber] || !got[b.TicketNumber] || !got[c.TicketNumber] {
			t.Errorf("bob read nothing, yet: %v", got)
		}
	})
}
