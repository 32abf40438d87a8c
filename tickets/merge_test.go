package tickets_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// mergeWorld: Ann wrote from her work address (#a), then again from home (#b).
type mergeWorld struct {
	*swWorld
	a, b tickets.Delivery
}

func newMergeWorld(t *testing.T, d *db.DB) mergeWorld {
	t.Helper()
	w := swNew(t, d)
	m := mergeWorld{swWorld: w}
	m.a = w.mail(t, w.p, "a1@work.example", "ann@work.example", "Printer broken", "It is broken.")
	w.clk.Advance(60e9)
	m.b = w.mail(t, w.p, "b1@home.example", "ann@home.example", "Printer still broken", "Still broken, from home.")
	w.clk.Advance(60e9)
	if _, err := w.s.Retag(w.ctx, w.p, m.a.TicketNumber, w.alice, []string{"printer", "vip"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Retag(w.ctx, w.p, m.b.TicketNumber, w.bob, []string{"printer", "home"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Note(w.ctx, w.p, m.b.TicketNumber, w.bob, tickets.Outgoing{Text: "same as the other one?"}, "<n1@acme.example>"); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m mergeWorld) merge(t *testing.T) tickets.Ticket {
	t.Helper()
	got, err := m.s.Merge(m.ctx, m.p, m.a.TicketNumber, m.b.TicketNumber, tickets.AgentActor(m.alice))
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	return got
}

func eventKinds(d tickets.TicketDetail) []string {
	var ks []string
	for _, e := range d.Events {
		ks = append(ks, e.Kind+" "+e.Detail)
	}
	return ks
}

// Merging B into A moves B's messages, tags, participants and events to A, deduplicated; A's
// customer stays A's, B's becomes a Cc.
func TestMergeMovesEverythingToTheTicketMergedInto(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMergeWorld(t, d)
		got := m.merge(t)
		if got.Number != m.a.TicketNumber || got.Customer != "ann@work.example" || got.Messages != 3 {
			t.Fatalf("merged into: %+v", got)
		}
		det, err := m.s.Detail(m.ctx, m.p.ID, m.a.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		var froms []string
		for _, msg := range det.Messages {
			froms = append(froms, msg.From)
		}
		if want := []string{"ann@work.example", "ann@home.example", "bob@acme.example"}; !slices.Equal(froms, want) {
			t.Errorf("messages from %v, want %v (in the order they came)", froms, want)
		}
		if det.MessageCount != 3 {
			t.Errorf("message count %d, want 3", det.MessageCount)
		}
		if want := []string{"home", "printer", "vip"}; !slices.Equal(det.Tags, want) {
			t.Errorf("tags %v, want %v", det.Tags, want)
		}
		for _, p := range []string{"ann@work.example", "ann@home.example"} {
			if !slices.Contains(det.Participants, p) {
				t.Errorf("participants %v: no %s", det.Participants, p)
			}
		}
		var cc []string
		if err := d.SelectContext(m.ctx, &cc, d.Rebind(`SELECT email FROM ticket_participants WHERE ticket_id = ? AND role = 'cc'`), m.a.TicketID); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cc, []string{"ann@home.example"}) {
			t.Errorf("Cc of the merged-into ticket %v, want B's customer", cc)
		}
		kinds := eventKinds(det)
		for _, want := range []string{"tagged home", "noted ", "merged #2 Printer still broken"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("events %q: no %q", kinds, want)
			}
		}
		var left int
		if err := d.GetContext(m.ctx, &left, d.Rebind(`SELECT
			(SELECT COUNT(*) FROM messages WHERE ticket_id = ?) + (SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = ?) +
			(SELECT COUNT(*) FROM ticket_participants WHERE ticket_id = ?) + (SELECT COUNT(*) FROM thread_ids WHERE ticket_id = ?)`),
			m.b.TicketID, m.b.TicketID, m.b.TicketID, m.b.TicketID); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d messages, tags, participants or Message-IDs left on the merged ticket", left)
		}
		var bEvents []string
		if err := d.SelectContext(m.ctx, &bEvents, d.Rebind(`SELECT kind || ' ' || detail FROM ticket_events WHERE ticket_id = ?`), m.b.TicketID); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(bEvents, []string{"merged-into #1"}) {
			t.Errorf("the merged ticket's own log %q, want one merged-into event", bEvents)
		}
	})
}

// A merged ticket's number redirects: reading or acting on it says where it went; it is in no
// list and no count.
func TestAMergedTicketIsAPointer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMergeWorld(t, d)
		m.merge(t)
		_, err := m.s.Detail(m.ctx, m.p.ID, m.b.TicketNumber)
		var me *tickets.MergedError
		if !errors.As(err, &me) || me.Number != m.b.TicketNumber || me.Into != m.a.TicketNumber {
			t.Fatalf("detail of the merged ticket: %v, want a MergedError to #%d", err, m.a.TicketNumber)
		}
		if !errors.Is(err, tickets.ErrNotFound) || !errors.Is(err, tickets.ErrMerged) {
			t.Errorf("%v: want not found and merged", err)
		}
		if _, err := m.s.Close(m.ctx, m.p.ID, m.b.TicketNumber, tickets.ActorCLI); !errors.As(err, &me) {
			t.Errorf("close of the merged ticket: %v, want a MergedError", err)
		}
		if _, err := m.s.Trash(m.ctx, m.p, m.b.TicketNumber, tickets.ActorCLI); !errors.As(err, &me) {
			t.Errorf("trash of the merged ticket: %v, want a MergedError", err)
		}
		for _, view := range tickets.Views {
			page, err := m.s.Search(m.ctx, m.p.ID, m.alice.ID, tickets.Query{View: view, Limit: tickets.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range page.Tickets {
				if tk.Number == m.b.TicketNumber {
					t.Errorf("view %s lists the merged ticket", view)
				}
			}
		}
		counts, err := m.s.CountViews(m.ctx, m.p.ID, m.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts["all"] != 1 || counts["closed"] != 0 {
			t.Errorf("counts %v: want the one ticket left, nothing closed", counts)
		}
		m.checkCounts(t, "merged")
		h, err := m.s.ContactHistory(m.ctx, m.p, "ann@home.example")
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range h.Tickets {
			if tk.Number == m.b.TicketNumber {
				t.Errorf("the contact's history shows the merged ticket")
			}
		}
	})
}

// A merged ticket's later replies join the ticket it was merged into — by In-Reply-To, by its
// reply token and by its [#N] — and open no ticket.
func TestAMergedTicketsLaterRepliesJoinTheTicketItWasMergedInto(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMergeWorld(t, d)
		m.merge(t)
		byHeader := m.mail(t, m.p, "b2@home.example", "ann@home.example", "Re: Printer still broken", "any news?", "b1@home.example")
		if byHeader.TicketID != m.a.TicketID {
			t.Errorf("a reply to the merged ticket's mail landed on #%d (%s), want #%d", byHeader.TicketNumber, byHeader.Decision.Reason, m.a.TicketNumber)
		}
		tok := replytoken.Sign(m.secret, m.p.ID, replytoken.Claims{TicketID: m.b.TicketID})
		in := tickets.Inbound{From: tickets.Address{Email: "ann@home.example"}, To: []tickets.Address{{Email: "support@acme.example"}},
			Subject: "no headers", MessageID: "b3@home.example", Text: "token", Kind: "human",
			Recipients: []string{replytoken.Address("acme", tok, "desk.example")}, Raw: []byte("Subject: no headers\r\n\r\ntoken")}
		byToken, err := m.s.Deliver(m.ctx, m.p, m.secret, in)
		if err != nil || byToken.Decision.Reason != threading.ByToken || byToken.TicketID != m.a.TicketID {
			t.Errorf("by the merged ticket's token: %+v, %v; want ticket #%d", byToken, err, m.a.TicketNumber)
		}
		byTag := m.mail(t, m.p, "b4@home.example", "ann@home.example", "Re: [#2] Printer", "tagged")
		if byTag.Decision.Reason != threading.BySubjectTag || byTag.TicketID != m.a.TicketID {
			t.Errorf("by [#2]: %+v; want ticket #%d", byTag, m.a.TicketNumber)
		}
		det, err := m.s.Detail(m.ctx, m.p.ID, m.a.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		if det.MessageCount != 6 || len(det.Messages) != 6 {
			t.Errorf("the merged-into ticket holds %d messages (count %d), want 6", len(det.Messages), det.MessageCount)
		}
		m.checkCounts(t, "replies after the merge")
	})
}

// What a merge refuses, and that a refusal changes nothing.
func TestMergeRefuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMergeWorld(t, d)
		by := tickets.AgentActor(m.alice)
		a, b := m.a.TicketNumber, m.b.TicketNumber
		other := m.mail(t, m.other, "o1@customer.example", "ann@home.example", "Elsewhere", "body")
		third := m.mail(t, m.p, "c1@customer.example", "carl@customer.example", "Third", "body")
		if _, err := m.s.Merge(m.ctx, m.p, a, a, by); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("into itself: %v, want invalid", err)
		}
		// Another property's ticket numbers are not this property's: #3 here is Carl's, and a
		// number only the other property has is not found.
		if _, err := m.s.Merge(m.ctx, m.p, a, 99, by); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("a number that is not the property's: %v, want not found", err)
		}
		if _, err := m.s.Merge(m.ctx, m.other, other.TicketNumber, a, by); err == nil {
			t.Errorf("merging across properties worked")
		}
		if _, err := m.s.Trash(m.ctx, m.p, third.TicketNumber, by); err != nil {
			t.Fatal(err)
		}
		if _, err := m.s.Merge(m.ctx, m.p, a, third.TicketNumber, by); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("a ticket in the trash: %v, want invalid", err)
		}
		if _, err := m.s.Merge(m.ctx, m.p, third.TicketNumber, a, by); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("into a ticket in the trash: %v, want invalid", err)
		}
		m.checkCounts(t, "refused")
		m.merge(t)
		if _, err := m.s.Merge(m.ctx, m.p, a, b, by); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("merged again: %v, want invalid", err)
		}
		fourth := m.mail(t, m.p, "d1@customer.example", "dora@customer.example", "Fourth", "body")
		_, err := m.s.Merge(m.ctx, m.p, b, fourth.TicketNumber, by)
		if !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("into a merged ticket: %v, want invalid", err)
		}
		m.checkCounts(t, "refused after the merge")
		if got, err := m.s.Ticket(m.ctx, m.other.ID, other.TicketNumber); err != nil || got.Messages != 1 {
			t.Errorf("the other property's ticket: %+v, %v", got, err)
		}
	})
}

// Merging A into C after B was merged into A leaves B pointing at C: one hop. Purging C takes the
// pointers along.
func TestMergeChainsAndPurge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMergeWorld(t, d)
		m.merge(t)
		c := m.mail(t, m.p, "c1@customer.example", "ann@work.example", "Printer, third time", "body")
		by := tickets.AgentActor(m.alice)
		if _, err := m.s.Merge(m.ctx, m.p, c.TicketNumber, m.a.TicketNumber, by); err != nil {
			t.Fatal(err)
		}
		var me *tickets.MergedError
		if _, err := m.s.Detail(m.ctx, m.p.ID, m.b.TicketNumber); !errors.As(err, &me) || me.Into != c.TicketNumber {
			t.Fatalf("B after A was merged into C: %v, want merged into #%d", err, c.TicketNumber)
		}
		byHeader := m.mail(t, m.p, "b9@home.example", "ann@home.example", "Re: Printer still broken", "news?", "b1@home.example")
		if byHeader.TicketID != c.TicketID {
			t.Errorf("a reply to B's mail after two merges: ticket #%d, want #%d", byHeader.TicketNumber, c.TicketNumber)
		}
		m.checkCounts(t, "two merges")
		if _, err := m.s.Trash(m.ctx, m.p, c.TicketNumber, by); err != nil {
			t.Fatal(err)
		}
		if err := m.s.Purge(m.ctx, m.p, c.TicketNumber, by); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int64{m.a.TicketNumber, m.b.TicketNumber, c.TicketNumber} {
			if _, err := m.s.Detail(m.ctx, m.p.ID, n); !errors.Is(err, tickets.ErrNotFound) || errors.Is(err, tickets.ErrMerged) {
				t.Errorf("#%d after the purge: %v, want plainly not found", n, err)
			}
		}
		m.checkCounts(t, "purged")
	})
}

// A message counted on a merged ticket — a delivery that found it before the merge committed and
// stores its message after — fails, to be retried (and thread to the ticket merged into): the
// database refuses it, whichever path stores the message.
func TestAMessageCannotLandOnAMergedTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMergeWorld(t, d)
		m.merge(t)
		_, err := d.ExecContext(m.ctx, d.Rebind(`UPDATE tickets SET message_count = message_count + 1 WHERE id = ?`), m.b.TicketID)
		if err == nil {
			t.Fatal("a message was counted on the merged ticket")
		}
		if d.Dialect == db.Postgres && !db.IsRetryable(err) {
			t.Errorf("%v: want a serialization failure, retried", err)
		}
		if _, err := d.ExecContext(m.ctx, d.Rebind(`UPDATE tickets SET message_count = message_count + 1 WHERE id = ?`), m.a.TicketID); err != nil {
			t.Errorf("the ticket merged into: %v", err)
		}
	})
}
