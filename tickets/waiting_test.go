package tickets_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/tickets"
)

// Who is waiting: an open ticket waits for us when the last person's message is the customer's,
// for the customer when it is an agent's reply; closed, for nobody.

// waiting reads ticket n of p and checks that it was settled as the rule says: running the rule
// over every ticket again changes nothing.
func (w *swWorld) waiting(t *testing.T, p tickets.Property, n int64) tickets.Ticket {
	t.Helper()
	tk, err := w.s.Ticket(w.ctx, p.ID, n)
	if err != nil {
		t.Fatalf("ticket #%d: %v", n, err)
	}
	if changed, err := tickets.ResettleAll(w.ctx, w.s); err != nil || changed != 0 {
		t.Fatalf("the rule run again over every ticket changed %d (%v): a change did not settle its ticket", changed, err)
	}
	return tk
}

// wantWaiting checks who a ticket waits for ("" for nobody) and since when (zero: not checked).
func wantWaiting(t *testing.T, what string, tk tickets.Ticket, side string, since time.Time) {
	t.Helper()
	got := ""
	if tk.Waiting != nil {
		got = *tk.Waiting
	}
	if got != side {
		t.Fatalf("%s: waiting %q, want %q", what, got, side)
	}
	switch {
	case side == "" && tk.WaitingSince != nil:
		t.Fatalf("%s: waiting for nobody since %s", what, tk.WaitingSince)
	case side != "" && tk.WaitingSince == nil:
		t.Fatalf("%s: waiting for %s since no time", what, side)
	case !since.IsZero() && !tk.WaitingSince.Equal(since):
		t.Fatalf("%s: waiting since %s, want %s", what, tk.WaitingSince, since)
	}
}

func wantFirstResponse(t *testing.T, what string, tk tickets.Ticket, at time.Time) {
	t.Helper()
	switch {
	case at.IsZero() && tk.FirstResponseAt != nil:
		t.Fatalf("%s: first response at %s, want none", what, tk.FirstResponseAt)
	case !at.IsZero() && (tk.FirstResponseAt == nil || !tk.FirstResponseAt.Equal(at)):
		t.Fatalf("%s: first response at %v, want %s", what, tk.FirstResponseAt, at)
	}
}

// rollBackWaiting undoes migration 0021 by hand.
// rollBackAfterWaiting undoes the migrations after 0021, newest first, for the tests that take a
// database back to an older version and migrate it again. A migration that adds to the schema
// adds its undoing here.
func (w *swWorld) rollBackAfterWaiting(t *testing.T) {
	t.Helper()
	if w.d.Dialect == db.Postgres { // 0024 (its DROP EXPRESSION IF EXISTS runs again as a no-op)
		for _, q := range []string{`DROP TRIGGER messages_search_queue ON messages`, `DROP FUNCTION search_queue_add()`, `DROP TABLE search_queue`} {
			w.exec(t, q)
		}
	}
	w.exec(t, `DROP TABLE saved_replies`)  // 0023
	w.exec(t, `DROP TABLE ticket_ratings`) // 0022
}

func (w *swWorld) rollBackWaiting(t *testing.T) {
	t.Helper()
	for _, q := range []string{`DROP INDEX tickets_list_waiting`, `DROP INDEX messages_waiting`, `ALTER TABLE tickets DROP COLUMN first_response_at`,
		`ALTER TABLE tickets DROP COLUMN waiting_since`, `ALTER TABLE tickets DROP COLUMN waiting`} {
		w.exec(t, q)
	}
}

func (w *swWorld) reply(t *testing.T, n int64, msgID string) {
	t.Helper()
	if _, err := w.s.Reply(w.ctx, w.p, n, w.alice, tickets.Outgoing{Text: "We are on it."}, msgID); err != nil {
		t.Fatalf("reply on #%d: %v", n, err)
	}
}

func TestACustomersMailLeavesTheTicketWaitingForUs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		asked := w.clk.Now()
		n := w.mail(t, w.p, "c1@customer.example", "ann@customer.example", "Printer on fire", "Help!").TicketNumber
		tk := w.waiting(t, w.p, n)
		wantWaiting(t, "a new ticket", tk, tickets.WaitingUs, asked)
		wantFirstResponse(t, "a new ticket", tk, time.Time{})

		// She writes again before anyone answers: still waiting since her first mail.
		w.clk.Advance(3 * time.Hour)
		w.mail(t, w.p, "c2@customer.example", "ann@customer.example", "Re: Printer on fire", "Hello?", "c1@customer.example")
		tk = w.waiting(t, w.p, n)
		wantWaiting(t, "her second mail", tk, tickets.WaitingUs, asked)
		if got := tk.WaitingFor(w.clk.Now()); got != 3*time.Hour {
			t.Fatalf("she has waited %s, want 3h", got)
		}
	})
}

func TestAnAgentsReplyLeavesItWaitingForTheCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		n := w.mail(t, w.p, "c1@customer.example", "ann@customer.example", "Printer on fire", "Help!").TicketNumber
		w.clk.Advance(2 * time.Hour)
		answered := w.clk.Now()
		w.reply(t, n, "r1@acme.example")
		tk := w.waiting(t, w.p, n)
		wantWaiting(t, "after the reply", tk, tickets.WaitingCustomer, answered)
		wantFirstResponse(t, "after the reply", tk, answered)
		if got, ok := tk.FirstResponseTime(); !ok || got != 2*time.Hour {
			t.Fatalf("first response time %s %v, want 2h", got, ok)
		}
		if got := tk.WaitingFor(w.clk.Now().Add(time.Hour)); got != 0 {
			t.Fatalf("waiting for the customer, yet the customer waited %s", got)
		}

		// A second reply: waiting for the customer since it; the first response stays the first.
		w.clk.Advance(time.Hour)
		again := w.clk.Now()
		w.reply(t, n, "r2@acme.example")
		tk = w.waiting(t, w.p, n)
		wantWaiting(t, "a second reply", tk, tickets.WaitingCustomer, again)
		wantFirstResponse(t, "a second reply", tk, answered)

		// She answers: her turn is over, ours begins.
		w.clk.Advance(time.Hour)
		asked := w.clk.Now()
		w.mail(t, w.p, "c2@customer.example", "ann@customer.example", "Re: Printer on fire", "Still burning.", "r2@acme.example")
		wantWaiting(t, "her answer", w.waiting(t, w.p, n), tickets.WaitingUs, asked)
	})
}

func TestAnAgentsReplyByMailLeavesItWaitingForTheCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		first := w.mail(t, w.p, "c1@customer.example", "ann@customer.example", "Printer on fire", "Help!")
		asked := w.clk.Now()
		// Bob answers from his mail client, to the Reply-To of his copy (a token naming him).
		byMail := func(msgID, text string) {
			t.Helper()
			w.clk.Advance(10 * time.Minute)
			tok := replytoken.Sign(w.secret, w.p.ID, replytoken.Claims{TicketID: first.TicketID, AgentID: w.bob.ID})
			in := tickets.Inbound{From: tickets.Address{Email: "bob@acme.example"}, Subject: "Re: Printer on fire", MessageID: msgID,
				Recipients: []string{replytoken.Address("acme", tok, "desk.example")}, Text: text, Trimmed: text, Kind: "human",
				Raw: []byte("Subject: Re: Printer on fire\r\n\r\n" + text)}
			if _, err := w.s.Deliver(w.ctx, w.p, w.secret, in); err != nil {
				t.Fatalf("bob's mail: %v", err)
			}
		}
		// His note and his commands alone go to no customer: she still waits, since her mail.
		byMail("b1@acme.example", "#note\nAsking the printer team.")
		wantWaiting(t, "a note by mail", w.waiting(t, w.p, first.TicketNumber), tickets.WaitingUs, asked)
		byMail("b2@acme.example", "#priority high")
		wantWaiting(t, "commands by mail", w.waiting(t, w.p, first.TicketNumber), tickets.WaitingUs, asked)

		byMail("b3@acme.example", "Unplug it, then call us.")
		tk := w.waiting(t, w.p, first.TicketNumber)
		wantWaiting(t, "his reply by mail", tk, tickets.WaitingCustomer, w.clk.Now())
		wantFirstResponse(t, "his reply by mail", tk, w.clk.Now())
	})
}

func TestANoteChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		asked := w.clk.Now()
		n := w.mail(t, w.p, "c1@customer.example", "ann@customer.example", "Printer on fire", "Help!").TicketNumber
		w.clk.Advance(time.Hour)
		if _, err := w.s.Note(w.ctx, w.p, n, w.bob, tickets.Outgoing{Text: "Who has the printer?"}, "n1@acme.example"); err != nil {
			t.Fatal(err)
		}
		tk := w.waiting(t, w.p, n)
		wantWaiting(t, "a note on a ticket waiting for us", tk, tickets.WaitingUs, asked)
		wantFirstResponse(t, "a note", tk, time.Time{})

		w.clk.Advance(time.Hour)
		answered := w.clk.Now()
		w.reply(t, n, "r1@acme.example")
		w.clk.Advance(time.Hour)
		if _, err := w.s.Note(w.ctx, w.p, n, w.bob, tickets.Outgoing{Text: "Done, I think."}, "n2@acme.example"); err != nil {
			t.Fatal(err)
		}
		wantWaiting(t, "a note after the reply", w.waiting(t, w.p, n), tickets.WaitingCustomer, answered)
	})
}

// Robots do not answer: an out-of-office reply to our answer leaves the customer's turn, list mail
// counts only where the property takes it for a person's.
func TestRobotsMailChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		n := w.mail(t, w.p, "c1@customer.example", "ann@customer.example", "Printer on fire", "Help!").TicketNumber
		w.clk.Advance(time.Hour)
		answered := w.clk.Now()
		w.reply(t, n, "r1@acme.example")
		w.clk.Advance(time.Minute)
		ooo := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, To: []tickets.Address{{Email: "support@acme.example"}},
			Subject: "Out of office: Printer on fire", MessageID: "ooo1@customer.example", InReplyTo: []string{"r1@acme.example"},
			Text: "I am away.", Kind: "auto-reply", Raw: []byte("Subject: Out of office\r\n\r\nI am away.")}
		if dl, err := w.s.Deliver(w.ctx, w.p, w.secret, ooo); err != nil || dl.TicketNumber != n {
			t.Fatalf("the auto-reply: %+v %v", dl, err)
		}
		wantWaiting(t, "an auto-reply", w.waiting(t, w.p, n), tickets.WaitingCustomer, answered)

		list := func(id string) tickets.Inbound {
			in := ooo
			in.MessageID, in.Subject, in.Text, in.Kind = id, "Re: Printer on fire", "Any news?", tickets.KindList
			in.Raw = []byte("Subject: Re: Printer on fire\r\nMessage-ID: " + id + "\r\n\r\nAny news?")
			return in
		}
		if err := w.s.SetIgnoreListMail(w.ctx, w.p.ID, true); err != nil {
			t.Fatal(err)
		}
		p, err := w.s.PropertyByID(w.ctx, w.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(time.Minute)
		if _, err := w.s.Deliver(w.ctx, p, w.secret, list("l1@customer.example")); err != nil {
			t.Fatal(err)
		}
		wantWaiting(t, "list mail the property ignores", w.waiting(t, w.p, n), tickets.WaitingCustomer, answered)
		// Taken for a person's again: the setting is read when the ticket is next settled, so the
		// list mail kept before counts too (the customer has waited since it).
		if err := w.s.SetIgnoreListMail(w.ctx, w.p.ID, false); err != nil {
			t.Fatal(err)
		}
		ignored := w.clk.Now()
		p.IgnoreListMail = false
		w.clk.Advance(time.Minute)
		if _, err := w.s.Deliver(w.ctx, p, w.secret, list("l2@customer.example")); err != nil {
			t.Fatal(err)
		}
		wantWaiting(t, "list mail taken for a person's", w.waiting(t, w.p, n), tickets.WaitingUs, ignored)
	})
}

// Closed, a ticket waits for nobody; reopened, for whoever had the last word — and a customer's
// wait starts again at the reopening, not at what she wrote before the close.
func TestClosingAndReopening(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		opened := w.clk.Now()
		n := w.mail(t, w.p, "c1@customer.example", "ann@customer.example", "Printer on fire", "Help!").TicketNumber
		w.clk.Advance(time.Hour)
		answered := w.clk.Now()
		w.reply(t, n, "r1@acme.example")
		w.clk.Advance(time.Hour)
		w.mail(t, w.p, "c2@customer.example", "ann@customer.example", "Re: Printer on fire", "Thanks, it works!", "r1@acme.example")
		w.clk.Advance(time.Hour)
		closed, err := w.s.Close(w.ctx, w.p.ID, n, tickets.AgentActor(w.alice))
		if err != nil {
			t.Fatal(err)
		}
		tk := w.waiting(t, w.p, n)
		wantWaiting(t, "closed", tk, "", time.Time{})
		wantFirstResponse(t, "closed", tk, answered)
		if got, ok := closed.ResolutionTime(); !ok || got != 3*time.Hour {
			t.Fatalf("resolved in %s %v, want 3h", got, ok)
		}
		if !closed.CreatedAt.Equal(opened) {
			t.Fatalf("created %s", closed.CreatedAt)
		}

		// An agent reopens it: her thanks was the last word, so it waits for us — since now.
		w.clk.Advance(time.Hour)
		if _, err := w.s.Reopen(w.ctx, w.p.ID, n, tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		tk = w.waiting(t, w.p, n)
		wantWaiting(t, "reopened by an agent", tk, tickets.WaitingUs, w.clk.Now())
		if _, ok := tk.ResolutionTime(); ok {
			t.Fatal("an open ticket has a resolution time")
		}

		// Closed again; her new question within the reopen window reopens it, waiting since it.
		if _, err := w.s.Close(w.ctx, w.p.ID, n, tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(time.Hour)
		w.mail(t, w.p, "c3@customer.example", "ann@customer.example", "Re: Printer on fire", "Now it smokes.", "r1@acme.example")
		wantWaiting(t, "reopened by her mail", w.waiting(t, w.p, n), tickets.WaitingUs, w.clk.Now())

		// Answered, closed and reopened by an agent: the customer has the next word.
		w.clk.Advance(time.Minute)
		w.reply(t, n, "r2@acme.example")
		replied := w.clk.Now()
		for _, set := range []func() (tickets.Ticket, error){
			func() (tickets.Ticket, error) { return w.s.Close(w.ctx, w.p.ID, n, tickets.ActorCLI) },
			func() (tickets.Ticket, error) { return w.s.Reopen(w.ctx, w.p.ID, n, tickets.ActorCLI) },
		} {
			w.clk.Advance(time.Minute)
			if _, err := set(); err != nil {
				t.Fatal(err)
			}
		}
		wantWaiting(t, "reopened after our reply", w.waiting(t, w.p, n), tickets.WaitingCustomer, replied)
	})
}

// A ticket an agent opens waits for the customer; its first response is its first message.
func TestATicketAnAgentOpensWaitsForTheCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		tk, err := w.s.CreateTicket(w.ctx, w.p, w.alice, tickets.NewTicket{Customer: tickets.Address{Email: "ann@customer.example"},
			Subject: "Your order", Outgoing: tickets.Outgoing{Text: "It ships tomorrow."}}, "o1@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		tk = w.waiting(t, w.p, tk.Number)
		wantWaiting(t, "opened by an agent", tk, tickets.WaitingCustomer, w.clk.Now())
		if got, ok := tk.FirstResponseTime(); !ok || got != 0 {
			t.Fatalf("first response time %s %v, want 0", got, ok)
		}
	})
}

// The ticket merged into waits for whoever had the last word of both threads; the merged one, a
// closed pointer, for nobody.
func TestMergeSettlesTheTicketMergedInto(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		a := w.mail(t, w.p, "a1@work.example", "ann@work.example", "Printer broken", "It is broken.").TicketNumber
		w.clk.Advance(time.Hour)
		answered := w.clk.Now()
		w.reply(t, a, "r1@acme.example")
		w.clk.Advance(time.Hour)
		asked := w.clk.Now()
		b := w.mail(t, w.p, "b1@home.example", "ann@home.example", "Printer still broken", "From home: still broken.").TicketNumber
		wantWaiting(t, "A before the merge", w.waiting(t, w.p, a), tickets.WaitingCustomer, answered)

		w.clk.Advance(time.Hour)
		if _, err := w.s.Merge(w.ctx, w.p, a, b, tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		tk := w.waiting(t, w.p, a)
		wantWaiting(t, "A after the merge", tk, tickets.WaitingUs, asked)
		wantFirstResponse(t, "A after the merge", tk, answered)
		var side *string
		if err := d.GetContext(w.ctx, &side, d.Rebind(`SELECT waiting FROM tickets WHERE property_id = ? AND number = ?`), w.p.ID, b); err != nil || side != nil {
			t.Fatalf("the merged ticket waits for %v (%v)", side, err)
		}
	})
}

// Blocking a sender deletes their mail: what is left decides.
func TestBlockingTheSenderSettlesWhatIsLeft(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		// Ann copied someone who turns out to be a pest.
		in := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, To: []tickets.Address{{Email: "support@acme.example"}},
			Cc: []tickets.Address{{Email: "pest@spam.example"}}, Subject: "Order", MessageID: "c1@customer.example", Text: "Where is it?",
			Kind: "human", Raw: []byte("Subject: Order\r\n\r\nWhere is it?")}
		dl, err := w.s.Deliver(w.ctx, w.p, w.secret, in)
		if err != nil {
			t.Fatal(err)
		}
		n := dl.TicketNumber
		w.clk.Advance(time.Hour)
		answered := w.clk.Now()
		w.reply(t, n, "r1@acme.example")
		w.clk.Advance(time.Hour)
		if dl := w.mail(t, w.p, "x1@spam.example", "pest@spam.example", "Re: Order", "Buy now", "r1@acme.example"); dl.TicketNumber != n {
			t.Fatalf("the pest's mail opened #%d", dl.TicketNumber)
		}
		wantWaiting(t, "the pest wrote", w.waiting(t, w.p, n), tickets.WaitingUs, w.clk.Now())
		if _, err := w.s.Block(w.ctx, w.p, "desk.example", "pest@spam.example", tickets.AgentActor(w.alice)); err != nil {
			t.Fatal(err)
		}
		wantWaiting(t, "the pest blocked", w.waiting(t, w.p, n), tickets.WaitingCustomer, answered)
	})
}

// Every ticket the walk touches stays settled: after each step, running the rule over every
// ticket again changes nothing, and the ticket waits for whoever had the last word in a model
// of the conversation kept here.
func TestWaitingFollowsEveryChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		type model struct {
			num    int64
			open   bool
			last   string // "customer", "agent", "" (no person yet)
			lastAt int    // the step of the last person's message: merges take the later
			msgID  string // a Message-ID of the ticket, to reply to
			from   string // its customer
		}
		var all []*model
		mails, merges := 0, 0
		for step := range 60 {
			w.clk.Advance(time.Duration(1+step%7) * time.Minute)
			op := step % 9
			if len(all) == 0 || op == 0 {
				mails++
				id := fmt.Sprintf("w%d@customer.example", mails)
				from := fmt.Sprintf("cust%d@customer.example", mails)
				n := w.mail(t, w.p, id, from, "Question", "body").TicketNumber
				all = append(all, &model{num: n, open: true, last: "customer", lastAt: step, msgID: id, from: from})
				continue
			}
			x := all[(step*7)%len(all)]
			var name string
			switch op {
			case 1, 2:
				name = "customer answers"
				mails++
				id := fmt.Sprintf("w%d@customer.example", mails)
				if dl := w.mail(t, w.p, id, x.from, "Re: Question", "more", x.msgID); dl.TicketNumber != x.num {
					t.Fatalf("step %d: the answer to #%d opened #%d", step, x.num, dl.TicketNumber)
				}
				x.open, x.last, x.lastAt, x.msgID = true, "customer", step, id
			case 3, 4:
				name = "agent replies"
				id := fmt.Sprintf("r%d@acme.example", step)
				w.reply(t, x.num, id)
				x.last, x.lastAt, x.msgID = "agent", step, id
			case 5:
				name = "note"
				if _, err := w.s.Note(w.ctx, w.p, x.num, w.bob, tickets.Outgoing{Text: "hm"}, fmt.Sprintf("n%d@acme.example", step)); err != nil {
					t.Fatal(err)
				}
			case 6:
				name = "close"
				if _, err := w.s.Close(w.ctx, w.p.ID, x.num, tickets.ActorCLI); err != nil {
					t.Fatal(err)
				}
				x.open = false
			case 7:
				name = "reopen"
				if _, err := w.s.Reopen(w.ctx, w.p.ID, x.num, tickets.ActorCLI); err != nil {
					t.Fatal(err)
				}
				x.open = true
			case 8:
				name = "merge"
				y := all[(step*3+1)%len(all)]
				if y == x {
					continue
				}
				if _, err := w.s.Merge(w.ctx, w.p, x.num, y.num, tickets.AgentActor(w.alice)); err != nil {
					t.Fatal(err)
				}
				merges++
				if y.lastAt > x.lastAt {
					x.last, x.lastAt = y.last, y.lastAt
				}
				for i, m := range all {
					if m == y {
						all = append(all[:i], all[i+1:]...)
						break
					}
				}
			}
			want := ""
			switch {
			case !x.open:
			case x.last == "agent":
				want = tickets.WaitingCustomer
			default:
				want = tickets.WaitingUs
			}
			wantWaiting(t, fmt.Sprintf("step %d: %s on #%d", step, name, x.num), w.waiting(t, w.p, x.num), want, time.Time{})
		}
		if merges == 0 {
			t.Error("the walk merged no ticket: it tests no merge")
		}
	})
}
