package tickets_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestBlockRemovesTheirMailForGood(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		// #1: only ann's mail (two messages, one attachment) → deleted with the ticket.
		e.mail(t, e.a, "ann@customer.example", "b1@customer", "Only ann", withAttachment("ann1.txt", "x"))
		e.mail(t, e.a, "ann@customer.example", "b2@customer", "Re: Only ann", inReplyTo("b1@customer"))
		// #2: ann's mail and an agent's answer → stays, with the answer.
		e.mail(t, e.a, "ann@customer.example", "b3@customer", "Answered")
		if _, err := e.s.Reply(e.ctx, e.a, 2, e.alice, tickets.Outgoing{Text: "hi"}, "ans1@acme.example"); err != nil {
			t.Fatal(err)
		}
		// #3: zed's ticket where ann (in Cc) answered, from a differently cased address.
		e.mail(t, e.a, "zed@customer.example", "b4@customer", "Zed's", withAttachment("zed.txt", "zed"),
			func(in *tickets.Inbound) { in.Cc = []tickets.Address{{Email: "ann@customer.example"}} })
		e.mail(t, e.a, "ANN@Customer.example", "b5@customer", "Re: Zed's", inReplyTo("b4@customer"), withAttachment("ann2.txt", "y"))
		// #4: someone else entirely; and ann at B.
		e.mail(t, e.a, "kim@customer.example", "b6@customer", "Kim's", withAttachment("kim.txt", "kim"))
		e.mail(t, e.b, "ann@customer.example", "bb1@customer", "Ann at Globex", withAttachment("annb.txt", "z"))
		now := e.clk.Now()
		for _, rcpt := range []string{"ann@customer.example", "kim@customer.example"} {
			e.exec(t, `INSERT INTO outbox (property_id, ticket_id, message_id, kind, mail_from, rcpts, status, next_attempt_at, created_at)
				VALUES (?, ?, ?, 'ack', 'support@acme.example', ?, 'queued', ?, ?)`, e.a.ID, e.ticketID(t, e.a, 2), "q-"+rcpt, rcpt, now, now)
		}
		id1 := e.ticketID(t, e.a, 1)

		const actor = "agent:alice@acme.example"
		res, err := e.s.Block(e.ctx, e.a, "desk.example", " Ann@Customer.EXAMPLE ", actor)
		if err != nil {
			t.Fatal(err)
		}
		if res.Messages != 4 || res.Tickets != 1 {
			t.Fatalf("block: %+v, want 4 messages and 1 ticket", res)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM messages WHERE property_id = ? AND from_email = 'ann@customer.example'`, e.a.ID); n != 0 {
			t.Fatalf("%d of ann's messages left in A", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM tickets WHERE id = ?`, id1); n != 0 {
			t.Fatal("the ticket left without messages still exists")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ?`, id1); n != 0 {
			t.Fatal("the deleted ticket's events remain")
		}
		var files []string
		if err := d.SelectContext(e.ctx, &files, `SELECT filename FROM attachments ORDER BY filename`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(files, ",") != "annb.txt,kim.txt,zed.txt" {
			t.Fatalf("attachments left: %v", files)
		}
		t2, err := e.s.Detail(e.ctx, e.a.ID, 2)
		if err != nil || t2.MessageCount != 1 || len(t2.Messages) != 1 || t2.Messages[0].From != "alice@acme.example" {
			t.Fatalf("#2 after block: %+v, %v", t2, err)
		}
		if ev := t2.Events[len(t2.Events)-1]; ev.Kind != "messages-removed" || ev.Actor != actor {
			t.Fatalf("#2 event %+v", ev)
		}
		t3, err := e.s.Detail(e.ctx, e.a.ID, 3)
		if err != nil || t3.MessageCount != 1 || len(t3.Messages) != 1 || t3.Messages[0].From != "zed@customer.example" {
			t.Fatalf("#3 after block: %+v, %v", t3, err)
		}
		if t4, err := e.s.Ticket(e.ctx, e.a.ID, 4); err != nil || t4.Messages != 1 {
			t.Fatalf("#4 after block: %+v, %v", t4, err)
		}
		if tb, err := e.s.Ticket(e.ctx, e.b.ID, 1); err != nil || tb.Messages != 1 {
			t.Fatalf("B's ticket after blocking in A: %+v, %v", tb, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM thread_ids WHERE property_id = ? AND message_id = 'b5@customer'`, e.a.ID); n != 0 {
			t.Fatal("a removed message still threads")
		}
		var queued []string
		if err := d.SelectContext(e.ctx, &queued, d.Rebind(`SELECT rcpts FROM outbox WHERE property_id = ? ORDER BY rcpts`), e.a.ID); err != nil {
			t.Fatal(err)
		}
		if strings.Join(queued, ",") != "kim@customer.example" {
			t.Fatalf("outbox after block: %v", queued)
		}
		blocked := func(p tickets.Property, email string) bool {
			return e.count(t, `SELECT COUNT(*) FROM contacts WHERE property_id = ? AND email = ? AND blocked = ?`, p.ID, email, true) == 1
		}
		if !blocked(e.a, "ann@customer.example") || blocked(e.b, "ann@customer.example") {
			t.Fatal("blocked flags wrong")
		}

		// An address never seen becomes a blocked contact.
		res, err = e.s.Block(e.ctx, e.a, "desk.example", "new@spam.example", actor)
		if err != nil || res != (tickets.BlockResult{}) || !blocked(e.a, "new@spam.example") {
			t.Fatalf("block a new address: %+v, %v", res, err)
		}
		// Agents and non-addresses cannot be blocked.
		_, err = e.s.Block(e.ctx, e.a, "desk.example", "alice@acme.example", actor)
		wantErr(t, "block an agent", err, tickets.ErrInvalid)
		_, err = e.s.Block(e.ctx, e.a, "desk.example", "not an address", actor)
		wantErr(t, "block garbage", err, tickets.ErrInvalid)
		// The property's own addresses cannot be blocked: its from address, and its forwarding
		// and reply addresses at the forwarding domain.
		for _, own := range []string{"support@acme.example", "acme@desk.example", "ACME+token@desk.example"} {
			_, err = e.s.Block(e.ctx, e.a, "desk.example", own, actor)
			wantErr(t, "block "+own, err, tickets.ErrInvalid)
		}
		// The slug at another domain is somebody else's address: it can be blocked (it could not,
		// when the slug alone made an address the property's own).
		if _, err := e.s.Block(e.ctx, e.a, "desk.example", "acme@anything.example", actor); err != nil || !blocked(e.a, "acme@anything.example") {
			t.Fatalf("block acme@anything.example: %v", err)
		}
		if _, err := e.s.Block(e.ctx, e.a, "desk.example", "acme+x@anything.example", actor); err != nil || !blocked(e.a, "acme+x@anything.example") {
			t.Fatalf("block acme+x@anything.example: %v", err)
		}

		// Unblock clears the flag only.
		if err := e.s.Unblock(e.ctx, e.a, "ann@customer.example", actor); err != nil {
			t.Fatal(err)
		}
		if blocked(e.a, "ann@customer.example") {
			t.Fatal("still blocked")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM messages WHERE property_id = ? AND from_email = 'ann@customer.example'`, e.a.ID); n != 0 {
			t.Fatal("unblock brought messages back")
		}
		wantErr(t, "unblock a stranger", e.s.Unblock(e.ctx, e.a, "nobody@x.example", actor), tickets.ErrNotFound)
		wantErr(t, "unblock in B an address only A knows", e.s.Unblock(e.ctx, e.b, "new@spam.example", actor), tickets.ErrNotFound)
	})
}

func TestContactsSearchAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		senders := []struct{ email, name string }{
			{"a_b@x.example", "Under Score"},
			{"axb@x.example", "Plain"},
			{"100%@x.example", "Percent"},
			{"back\\slash@x.example", "Slash"},
			{"zed@x.example", "Ann O'Neil"},
		}
		for i, s := range senders {
			e.clk.Advance(time.Minute)
			e.mail(t, e.a, s.email, "c"+string(rune('a'+i))+"@x", "Hello", func(in *tickets.Inbound) { in.From.Name = s.name })
		}
		e.clk.Advance(time.Hour)
		last := e.clk.Now().UTC()
		e.mail(t, e.a, "a_b@x.example", "c-again@x", "Again")
		e.mail(t, e.b, "axb-b@x.example", "cb@x", "At Globex")

		emails := func(search string, limit int, after string) ([]string, string) {
			t.Helper()
			cs, next, err := e.s.Contacts(e.ctx, e.a, search, limit, after)
			if err != nil {
				t.Fatalf("contacts %q: %v", search, err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.Email)
			}
			return out, next
		}
		for search, want := range map[string]string{
			"_":         "a_b@x.example",
			"a_b":       "a_b@x.example",
			"%":         "100%@x.example",
			"0%@":       "100%@x.example",
			`\`:         `back\slash@x.example`,
			"ANN":       "zed@x.example",
			"under sco": "a_b@x.example",
			"AXB@":      "axb@x.example",
			"nobody":    "",
		} {
			got, next := emails(search, 10, "")
			if strings.Join(got, ",") != want || next != "" {
				t.Errorf("search %q: %v (next %q), want %q", search, got, next, want)
			}
		}
		all, next := emails("", 100, "")
		if len(all) != len(senders) || next != "" {
			t.Fatalf("all contacts of A: %v (next %q)", all, next)
		}
		// One at a time, following the cursor, gives the same list.
		var paged []string
		after := ""
		for range 10 {
			page, nx := emails("", 2, after)
			paged = append(paged, page...)
			if nx == "" {
				break
			}
			after = nx
		}
		if !slices.Equal(paged, all) {
			t.Fatalf("paged %v, all %v", paged, all)
		}
		// Paging inside a search.
		page, nx := emails("x.example", 3, "")
		rest, nx2 := emails("x.example", 3, nx)
		if len(page) != 3 || nx == "" || !slices.Equal(append(page, rest...), all) || nx2 != "" {
			t.Fatalf("search pages: %v %q / %v %q", page, nx, rest, nx2)
		}

		cs, _, err := e.s.Contacts(e.ctx, e.a, "a_b", 10, "")
		if err != nil || len(cs) != 1 {
			t.Fatal(cs, err)
		}
		ab := cs[0]
		if ab.Tickets != 2 || ab.Name != "Under Score" || ab.Blocked || ab.Spam || ab.LastSeen == nil || !ab.LastSeen.Equal(last) {
			t.Fatalf("summary %+v (last seen %v, want %v)", ab, ab.LastSeen, last)
		}
		if _, err := e.s.Trash(e.ctx, e.a, 6, "test"); err != nil {
			t.Fatal(err)
		}
		if cs, _, _ := e.s.Contacts(e.ctx, e.a, "a_b", 10, ""); cs[0].Tickets != 1 {
			t.Fatalf("tickets counted in the trash: %+v", cs[0])
		}
		if got, _ := emails("axb-b", 10, ""); len(got) != 0 {
			t.Fatalf("B's contact listed in A: %v", got)
		}
	})
}

func TestContactHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		e.mail(t, e.a, "ann@customer.example", "h1@c", "First")
		if _, err := e.s.Close(e.ctx, e.a.ID, 1, "test"); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Hour)
		e.mail(t, e.a, "ann@customer.example", "h2@c", "Second", func(in *tickets.Inbound) {
			in.Text = "Please help.\n\n> quoted history\n-- \nAnn"
		})
		e.clk.Advance(time.Minute)
		if _, err := e.s.Reply(e.ctx, e.a, 2, e.alice, tickets.Outgoing{Text: "Sure."}, "h2r@acme.example"); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Hour)
		e.mail(t, e.a, "ann@customer.example", "h3@c", "Third, trashed")
		if _, err := e.s.Trash(e.ctx, e.a, 3, "test"); err != nil {
			t.Fatal(err)
		}
		e.mail(t, e.a, "zed@customer.example", "h4@c", "Not ann's")
		e.exec(t, `UPDATE messages SET trimmed_text = 'Please help.' WHERE message_id = 'h2@c'`)

		h, err := e.s.ContactHistory(e.ctx, e.a, "ANN@customer.example")
		if err != nil {
			t.Fatal(err)
		}
		if h.Contact.Email != "ann@customer.example" || h.Contact.Tickets != 2 {
			t.Fatalf("contact %+v", h.Contact)
		}
		var numbers []int64
		for _, tk := range h.Tickets {
			numbers = append(numbers, tk.Number)
		}
		if !slices.Equal(numbers, []int64{2, 1}) {
			t.Fatalf("tickets %v, want [2 1]", numbers)
		}
		second := h.Tickets[0]
		if len(second.Messages) != 2 || second.MessageCount != 2 || second.Status != tickets.StatusOpen || h.Tickets[1].Status != tickets.StatusClosed {
			t.Fatalf("tickets %+v", h.Tickets)
		}
		m := second.Messages[0]
		if m.Trimmed != "Please help." || !strings.Contains(m.Text, "quoted history") || m.From != "ann@customer.example" {
			t.Fatalf("first message of #2: %+v", m)
		}
		if second.Messages[1].From != "alice@acme.example" || second.Messages[1].Text != "Sure." {
			t.Fatalf("answer: %+v", second.Messages[1])
		}
		_, err = e.s.ContactHistory(e.ctx, e.b, "ann@customer.example")
		wantErr(t, "history of A's contact in B", err, tickets.ErrNotFound)
		_, err = e.s.ContactHistory(e.ctx, e.a, "nobody@customer.example")
		wantErr(t, "history of a stranger", err, tickets.ErrNotFound)
		// A contact with no ticket left outside the trash has an empty history.
		if _, err := e.s.Block(e.ctx, e.a, "desk.example", "new@x.example", "test"); err != nil {
			t.Fatal(err)
		}
		if h, err := e.s.ContactHistory(e.ctx, e.a, "new@x.example"); err != nil || len(h.Tickets) != 0 || h.Tickets == nil || !h.Contact.Blocked {
			t.Fatalf("empty history: %+v %v", h, err)
		}
	})
}
