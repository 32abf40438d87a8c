package tickets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// ibEnv is two properties, A ("acme", agents alice and carol) and B ("globex", agent bob), for the
// tests of inbox, contacts, export and tokens.
type ibEnv struct {
	d      *db.DB
	s      *tickets.Store
	clk    *testclock.Clock
	ctx    context.Context
	secret []byte
	a, b   tickets.Property
	alice  tickets.Agent // manager on A
	carol  tickets.Agent // support on A
	bob    tickets.Agent // support on B
}

func newIBEnv(t *testing.T, d *db.DB) *ibEnv {
	t.Helper()
	e := &ibEnv{d: d, clk: testclock.New(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)), ctx: context.Background()}
	e.s = tickets.New(d, tickets.WithClock(e.clk.Now))
	var err error
	if e.a, err = e.s.CreateProperty(e.ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if e.b, err = e.s.CreateProperty(e.ctx, tickets.NewProperty{Slug: "globex", Name: "Globex", FromAddress: "help@globex.example"}); err != nil {
		t.Fatal(err)
	}
	if e.secret, err = e.s.Secret(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.alice, err = e.s.AddAgent(e.ctx, e.a.ID, "alice@acme.example", "Alice", "manager"); err != nil {
		t.Fatal(err)
	}
	if e.carol, err = e.s.AddAgent(e.ctx, e.a.ID, "carol@acme.example", "Carol", ""); err != nil {
		t.Fatal(err)
	}
	if e.bob, err = e.s.AddAgent(e.ctx, e.b.ID, "bob@globex.example", "Bob", ""); err != nil {
		t.Fatal(err)
	}
	return e
}

// mail delivers a human mail from `from` to property p; edit adjusts it first.
func (e *ibEnv) mail(t *testing.T, p tickets.Property, from, msgID, subject string, edit ...func(*tickets.Inbound)) tickets.Delivery {
	t.Helper()
	in := tickets.Inbound{
		From:      tickets.Address{Name: strings.Split(from, "@")[0], Email: from},
		To:        []tickets.Address{{Email: p.FromAddress}},
		Subject:   subject,
		MessageID: msgID,
		Text:      "text of " + msgID,
		Kind:      "human",
	}
	for _, f := range edit {
		f(&in)
	}
	in.Raw = []byte("Message-ID: <" + msgID + ">\r\nSubject: " + subject + "\r\n\r\n" + in.Text)
	dl, err := e.s.Deliver(e.ctx, p, e.secret, in)
	if err != nil {
		t.Fatalf("deliver %s: %v", msgID, err)
	}
	if dl.Duplicate || dl.Action == threading.Drop {
		t.Fatalf("deliver %s: not stored: %+v", msgID, dl)
	}
	return dl
}

func inReplyTo(id string) func(*tickets.Inbound) {
	return func(in *tickets.Inbound) { in.InReplyTo = []string{id} }
}

func withAttachment(name, data string) func(*tickets.Inbound) {
	return func(in *tickets.Inbound) {
		in.Attachments = append(in.Attachments, tickets.NewAttachment{Filename: name, ContentType: "text/plain", Data: []byte(data)})
	}
}

// count runs a COUNT query written with ? placeholders.
func (e *ibEnv) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.d.GetContext(e.ctx, &n, e.d.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *ibEnv) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := e.d.ExecContext(e.ctx, e.d.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (e *ibEnv) ticketID(t *testing.T, p tickets.Property, number int64) int64 {
	t.Helper()
	var id int64
	if err := e.d.GetContext(e.ctx, &id, e.d.Rebind(`SELECT id FROM tickets WHERE property_id = ? AND number = ?`), p.ID, number); err != nil {
		t.Fatalf("ticket #%d: %v", number, err)
	}
	return id
}

func (e *ibEnv) events(t *testing.T, p tickets.Property, number int64) []tickets.Event {
	t.Helper()
	var evs []tickets.Event
	if err := e.d.SelectContext(e.ctx, &evs, e.d.Rebind(`SELECT kind, actor, detail, created_at FROM ticket_events WHERE ticket_id = ? ORDER BY id`),
		e.ticketID(t, p, number)); err != nil {
		t.Fatal(err)
	}
	return evs
}

func lastEvent(evs []tickets.Event) tickets.Event {
	if len(evs) == 0 {
		return tickets.Event{}
	}
	return evs[len(evs)-1]
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want %v", what, err, target)
	}
}

func listed(t *testing.T, e *ibEnv, p tickets.Property) map[int64]bool {
	t.Helper()
	ts, err := e.s.List(e.ctx, p.ID, tickets.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, tk := range ts {
		out[tk.Number] = true
	}
	return out
}

func TestReadStatePerAgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		e.mail(t, e.a, "ann@customer.example", "r1@customer", "Question")
		isRead := func(agent tickets.Agent) bool {
			return e.count(t, `SELECT COUNT(*) FROM ticket_reads r JOIN tickets t ON t.id = r.ticket_id
				WHERE t.property_id = ? AND t.number = 1 AND r.agent_id = ? AND r.read_at >= t.updated_at`, e.a.ID, agent.ID) == 1
		}
		rows := func(agent tickets.Agent) int64 {
			return e.count(t, `SELECT COUNT(*) FROM ticket_reads WHERE agent_id = ?`, agent.ID)
		}
		if isRead(e.alice) {
			t.Fatal("a new ticket is read")
		}
		evBefore := len(e.events(t, e.a, 1))
		if err := e.s.MarkRead(e.ctx, e.a, 1, e.alice); err != nil {
			t.Fatal(err)
		}
		if !isRead(e.alice) || isRead(e.carol) {
			t.Fatalf("after alice read it: alice %v, carol %v", isRead(e.alice), isRead(e.carol))
		}
		if err := e.s.MarkRead(e.ctx, e.a, 1, e.alice); err != nil || rows(e.alice) != 1 {
			t.Fatalf("marking read twice: %v, %d rows", err, rows(e.alice))
		}
		if n := len(e.events(t, e.a, 1)); n != evBefore {
			t.Fatalf("reading wrote %d events", n-evBefore)
		}
		// The customer answers: the ticket changed after alice read it.
		e.clk.Advance(time.Hour)
		e.mail(t, e.a, "ann@customer.example", "r2@customer", "Re: Question", inReplyTo("r1@customer"))
		if isRead(e.alice) {
			t.Fatal("still read after the ticket changed")
		}
		// By email alone works too.
		if err := e.s.MarkRead(e.ctx, e.a, 1, tickets.Agent{Email: "Alice@Acme.example"}); err != nil || !isRead(e.alice) {
			t.Fatalf("mark read by email: %v, read %v", err, isRead(e.alice))
		}
		if err := e.s.MarkUnread(e.ctx, e.a, 1, e.alice); err != nil || rows(e.alice) != 0 {
			t.Fatalf("mark unread: %v, %d rows", err, rows(e.alice))
		}
		if err := e.s.MarkUnread(e.ctx, e.a, 1, e.alice); err != nil {
			t.Fatalf("mark unread twice: %v", err)
		}
		wantErr(t, "unknown number", e.s.MarkRead(e.ctx, e.a, 99, e.alice), tickets.ErrNotFound)
		// bob is not an agent of A, and B has no ticket #1.
		wantErr(t, "bob reads A's ticket", e.s.MarkRead(e.ctx, e.a, 1, e.bob), tickets.ErrNotFound)
		wantErr(t, "bob reads #1 in B", e.s.MarkRead(e.ctx, e.b, 1, e.bob), tickets.ErrNotFound)
		wantErr(t, "alice reads in B", e.s.MarkRead(e.ctx, e.b, 1, e.alice), tickets.ErrNotFound)
		e.mail(t, e.b, "ann@customer.example", "rb1@customer", "At Globex")
		if err := e.s.MarkRead(e.ctx, e.b, 1, e.bob); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM ticket_reads WHERE ticket_id = ?`, e.ticketID(t, e.a, 1)); n != 0 {
			t.Fatalf("B's read landed on A's ticket: %d rows", n)
		}
	})
}

func TestTrashAndRestore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		e.mail(t, e.a, "ann@customer.example", "t1@customer", "One")
		e.mail(t, e.a, "ann@customer.example", "t2@customer", "Two")
		e.mail(t, e.b, "zed@customer.example", "tb1@customer", "At Globex")
		const actor = "agent:alice@acme.example"
		tk, err := e.s.Trash(e.ctx, e.a, 1, actor)
		if err != nil || tk.Number != 1 || tk.Subject != "One" {
			t.Fatalf("trash: %+v, %v", tk, err)
		}
		if l := listed(t, e, e.a); l[1] || !l[2] {
			t.Fatalf("list after trash: %v", l)
		}
		_, err = e.s.Ticket(e.ctx, e.a.ID, 1)
		wantErr(t, "a trashed ticket", err, tickets.ErrNotFound)
		if ev := lastEvent(e.events(t, e.a, 1)); ev.Kind != "trashed" || ev.Actor != actor {
			t.Fatalf("event %+v", ev)
		}
		if e.count(t, `SELECT COUNT(*) FROM messages WHERE ticket_id = ?`, e.ticketID(t, e.a, 1)) != 1 {
			t.Fatal("trash removed the message")
		}
		n := len(e.events(t, e.a, 1))
		if _, err := e.s.Trash(e.ctx, e.a, 1, actor); err != nil || len(e.events(t, e.a, 1)) != n {
			t.Fatalf("trash twice: %v, events %d → %d", err, n, len(e.events(t, e.a, 1)))
		}
		tk, err = e.s.Restore(e.ctx, e.a, 1, "agent:carol@acme.example")
		if err != nil || tk.Number != 1 {
			t.Fatalf("restore: %+v, %v", tk, err)
		}
		if !listed(t, e, e.a)[1] {
			t.Fatal("restored ticket not listed")
		}
		if ev := lastEvent(e.events(t, e.a, 1)); ev.Kind != "restored" || ev.Actor != "agent:carol@acme.example" {
			t.Fatalf("event %+v", ev)
		}
		n = len(e.events(t, e.a, 1))
		if _, err := e.s.Restore(e.ctx, e.a, 1, actor); err != nil || len(e.events(t, e.a, 1)) != n {
			t.Fatalf("restore of a ticket not in the trash: %v, events %d → %d", err, n, len(e.events(t, e.a, 1)))
		}
		// B trashes its own #1, never A's; and has no #2.
		_, err = e.s.Trash(e.ctx, e.b, 2, "agent:bob@globex.example")
		wantErr(t, "B trashes #2", err, tickets.ErrNotFound)
		if _, err := e.s.Trash(e.ctx, e.b, 1, "agent:bob@globex.example"); err != nil {
			t.Fatal(err)
		}
		if l := listed(t, e, e.a); !l[1] || !l[2] {
			t.Fatalf("B's trash touched A: %v", l)
		}
		if listed(t, e, e.b)[1] {
			t.Fatal("B's #1 not trashed")
		}
	})
}

func TestPurgeRemovesEverything(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		e.mail(t, e.a, "ann@customer.example", "p1@customer", "Purge me", withAttachment("a.txt", "first"),
			func(in *tickets.Inbound) { in.Cc = []tickets.Address{{Email: "boss@customer.example"}} })
		e.clk.Advance(time.Minute)
		e.mail(t, e.a, "ann@customer.example", "p2@customer", "Re: Purge me", inReplyTo("p1@customer"), withAttachment("b.txt", "second"))
		if _, err := e.s.Reply(e.ctx, e.a, 1, e.alice, tickets.Outgoing{Text: "on it",
			Attachments: []tickets.NewAttachment{{Filename: "c.txt", ContentType: "text/plain", Data: []byte("third")}}}, "out1@acme.example"); err != nil {
			t.Fatal(err)
		}
		id1 := e.ticketID(t, e.a, 1)
		e.exec(t, `INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, 'vip')`, id1)
		if err := e.s.MarkRead(e.ctx, e.a, 1, e.alice); err != nil {
			t.Fatal(err)
		}
		now := e.clk.Now()
		for _, st := range []string{"queued", "sending", "failed", "sent", "uncertain"} {
			e.exec(t, `INSERT INTO outbox (property_id, ticket_id, message_id, kind, mail_from, rcpts, status, next_attempt_at, created_at)
				VALUES (?, ?, ?, 'ack', 'support@acme.example', 'ann@customer.example', ?, ?, ?)`, e.a.ID, id1, st+"@acme.example", st, now, now)
		}
		// #2 follows up #1; #3 is someone else's.
		if _, err := e.s.Close(e.ctx, e.a.ID, 1, "test"); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(100 * time.Hour)
		if dl := e.mail(t, e.a, "ann@customer.example", "p3@customer", "Re: Purge me", inReplyTo("p2@customer")); dl.Action != threading.FollowUp || dl.TicketNumber != 2 {
			t.Fatalf("follow-up: %+v", dl)
		}
		e.mail(t, e.a, "zed@customer.example", "p4@customer", "Keep me", withAttachment("d.txt", "fourth"))
		e.mail(t, e.b, "ann@customer.example", "pb1@customer", "At Globex")

		const actor = "agent:alice@acme.example"
		err := e.s.Purge(e.ctx, e.a, 1, actor)
		wantErr(t, "purge outside the trash", err, tickets.ErrInvalid)
		if !strings.Contains(err.Error(), "only a ticket in the trash can be purged") {
			t.Fatalf("message: %v", err)
		}
		if e.count(t, `SELECT COUNT(*) FROM messages WHERE ticket_id = ?`, id1) != 3 {
			t.Fatal("a refused purge removed messages")
		}
		if _, err := e.s.Trash(e.ctx, e.a, 1, actor); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Trash(e.ctx, e.a, 3, actor); err != nil {
			t.Fatal(err)
		}
		// B cannot purge A's ticket #3 (B has only #1), and B's #1 is not in the trash.
		wantErr(t, "B purges #3", e.s.Purge(e.ctx, e.b, 3, "agent:bob@globex.example"), tickets.ErrNotFound)
		wantErr(t, "B purges its #1", e.s.Purge(e.ctx, e.b, 1, "agent:bob@globex.example"), tickets.ErrInvalid)
		if _, err := e.s.Restore(e.ctx, e.a, 3, actor); err != nil {
			t.Fatal(err)
		}
		msgIDs := []int64{}
		if err := d.SelectContext(e.ctx, &msgIDs, d.Rebind(`SELECT id FROM messages WHERE ticket_id = ?`), id1); err != nil || len(msgIDs) != 3 {
			t.Fatalf("messages of #1: %v %v", msgIDs, err)
		}
		attsBefore := e.count(t, `SELECT COUNT(*) FROM attachments`)

		if err := e.s.Purge(e.ctx, e.a, 1, actor); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int64{
			`SELECT COUNT(*) FROM tickets WHERE id = ?`:                                                          0,
			`SELECT COUNT(*) FROM messages WHERE ticket_id = ?`:                                                  0,
			`SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ?`:                                             0,
			`SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = ?`:                                               0,
			`SELECT COUNT(*) FROM ticket_participants WHERE ticket_id = ?`:                                       0,
			`SELECT COUNT(*) FROM thread_ids WHERE ticket_id = ?`:                                                0,
			`SELECT COUNT(*) FROM ticket_reads WHERE ticket_id = ?`:                                              0,
			`SELECT COUNT(*) FROM outbox WHERE ticket_id = ?`:                                                    0,
			`SELECT COUNT(*) FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?)`: 0,
		} {
			if n := e.count(t, q, id1); n != want {
				t.Errorf("%s: %d rows, want %d", q, n, want)
			}
		}
		for _, m := range msgIDs {
			if n := e.count(t, `SELECT COUNT(*) FROM attachments WHERE message_id = ?`, m); n != 0 {
				t.Errorf("message %d: %d attachments left", m, n)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM attachments`); n != attsBefore-3 {
			t.Errorf("attachments: %d, want %d", n, attsBefore-3)
		}
		// Mail that may have reached the relay stays on record; the rest is gone.
		var left []string
		if err := d.SelectContext(e.ctx, &left, d.Rebind(`SELECT status FROM outbox WHERE property_id = ? ORDER BY status`), e.a.ID); err != nil {
			t.Fatal(err)
		}
		if strings.Join(left, ",") != "sent,uncertain" {
			t.Errorf("outbox after purge: %v", left)
		}
		fu, err := e.s.Ticket(e.ctx, e.a.ID, 2)
		if err != nil || fu.FollowsUp != nil {
			t.Fatalf("follow-up after purge: %+v, %v", fu, err)
		}
		if ev := lastEvent(e.events(t, e.a, 2)); ev.Kind != "unlinked" || ev.Actor != actor || !strings.Contains(ev.Detail, "#1") {
			t.Errorf("follow-up event %+v", ev)
		}
		if tk, err := e.s.Ticket(e.ctx, e.a.ID, 3); err != nil || tk.Messages != 1 {
			t.Errorf("#3 after purging #1: %+v, %v", tk, err)
		}
		if tk, err := e.s.Ticket(e.ctx, e.b.ID, 1); err != nil || tk.Messages != 1 {
			t.Errorf("B's #1 after purging A's #1: %+v, %v", tk, err)
		}
		wantErr(t, "purge twice", e.s.Purge(e.ctx, e.a, 1, actor), tickets.ErrNotFound)
		_, err = e.s.Restore(e.ctx, e.a, 1, actor)
		wantErr(t, "restore a purged ticket", err, tickets.ErrNotFound)
	})
}

func TestSpamMarksTicketAndSender(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		e.mail(t, e.a, "ann@customer.example", "s1@customer", "Cheap pills")
		e.mail(t, e.b, "ann@customer.example", "sb1@customer", "Cheap pills")
		flags := func(p tickets.Property) (ticket, contact bool) {
			t.Helper()
			ticket = e.count(t, `SELECT COUNT(*) FROM tickets WHERE property_id = ? AND number = 1 AND spam = ?`, p.ID, true) == 1
			contact = e.count(t, `SELECT COUNT(*) FROM contacts WHERE property_id = ? AND email = 'ann@customer.example' AND spam = ?`, p.ID, true) == 1
			return
		}
		const actor = "agent:alice@acme.example"
		tk, err := e.s.MarkSpam(e.ctx, e.a, 1, actor)
		if err != nil || tk.Number != 1 {
			t.Fatalf("mark spam: %+v %v", tk, err)
		}
		if tf, cf := flags(e.a); !tf || !cf {
			t.Fatalf("after mark spam: ticket %v, contact %v", tf, cf)
		}
		if tf, cf := flags(e.b); tf || cf {
			t.Fatalf("marking spam in A flagged B: ticket %v, contact %v", tf, cf)
		}
		ev := lastEvent(e.events(t, e.a, 1))
		if ev.Kind != "marked-spam" || ev.Actor != actor || !strings.Contains(ev.Detail, "ann@customer.example") {
			t.Fatalf("event %+v", ev)
		}
		n := len(e.events(t, e.a, 1))
		if _, err := e.s.MarkSpam(e.ctx, e.a, 1, actor); err != nil || len(e.events(t, e.a, 1)) != n {
			t.Fatalf("mark spam twice: %v; events %d → %d", err, n, len(e.events(t, e.a, 1)))
		}
		cs, _, err := e.s.Contacts(e.ctx, e.a, "ann", 10, "")
		if err != nil || len(cs) != 1 || !cs[0].Spam {
			t.Fatalf("contact list: %+v %v", cs, err)
		}
		if _, err := e.s.UnmarkSpam(e.ctx, e.a, 1, actor); err != nil {
			t.Fatal(err)
		}
		if tf, cf := flags(e.a); tf || cf {
			t.Fatalf("after unmark: ticket %v, contact %v", tf, cf)
		}
		if ev := lastEvent(e.events(t, e.a, 1)); ev.Kind != "unmarked-spam" {
			t.Fatalf("event %+v", ev)
		}
		_, err = e.s.MarkSpam(e.ctx, e.b, 2, "agent:bob@globex.example")
		wantErr(t, "B marks #2", err, tickets.ErrNotFound)
	})
}

// An agent of property B, acting on B, reaches none of A's tickets by number.
func TestInboxPropertyIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		for _, id := range []string{"i1@c", "i2@c", "i3@c"} {
			e.mail(t, e.a, "ann@customer.example", id, "Subject "+id)
		}
		e.mail(t, e.b, "ann@customer.example", "ib1@c", "At Globex")
		const bob = "agent:bob@globex.example"
		var errs = map[string]error{}
		_, errs["trash"] = e.s.Trash(e.ctx, e.b, 3, bob)
		_, errs["restore"] = e.s.Restore(e.ctx, e.b, 3, bob)
		errs["purge"] = e.s.Purge(e.ctx, e.b, 3, bob)
		errs["read"] = e.s.MarkRead(e.ctx, e.b, 3, e.bob)
		errs["unread"] = e.s.MarkUnread(e.ctx, e.b, 3, e.bob)
		_, errs["spam"] = e.s.MarkSpam(e.ctx, e.b, 3, bob)
		_, errs["unspam"] = e.s.UnmarkSpam(e.ctx, e.b, 3, bob)
		_, errs["export"] = e.s.Export(e.ctx, e.b, []int64{3})
		errs["read A as bob"] = e.s.MarkRead(e.ctx, e.a, 3, e.bob)
		for what, err := range errs {
			wantErr(t, what, err, tickets.ErrNotFound)
		}
		tk, err := e.s.Ticket(e.ctx, e.a.ID, 3)
		if err != nil || tk.Messages != 1 {
			t.Fatalf("A's #3: %+v %v", tk, err)
		}
		if n := len(e.events(t, e.a, 3)); n != 1 {
			t.Fatalf("A's #3 has %d events", n)
		}
	})
}
