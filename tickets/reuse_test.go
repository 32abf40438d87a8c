package tickets_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Blocking a sender who reused another customer's Message-ID removes the sender's thread keys
// (their stored id and the ids they referenced, with their ticket) and leaves the customer's: a
// reply to the customer's mail still threads into the customer's ticket.
func TestBlockKeepsTheThreadKeyOfAReusedMessageID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ann := f.deliver(t, rawMail("shared@tickets.example", date1, "My printer is broken.\r\n"))

		bob := rawMail("shared@tickets.example", date2, "Buy cheap watches.\r\n")
		bob.From = tickets.Address{Email: "bob@spam.example"}
		bob.References = []string{"never-seen@spam.example"}
		got := f.deliver(t, bob)
		if got.Duplicate || got.TicketID == 0 || got.TicketID == ann.TicketID {
			t.Fatalf("bob's mail: %+v, want a ticket of its own", got)
		}
		ghosts := func() int {
			t.Helper()
			var n int
			if err := d.GetContext(f.ctx, &n, d.Rebind("SELECT COUNT(*) FROM thread_ids WHERE message_id = ?"), "ghost never-seen@spam.example"); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if ghosts() != 1 {
			t.Fatal("bob's referenced id is not a ghost key: the test shows nothing")
		}

		res, err := f.s.Block(f.ctx, f.p, "desk.example", "bob@spam.example", tickets.ActorCLI)
		if err != nil || res.Tickets != 1 || res.Messages != 1 {
			t.Fatalf("block: %+v, %v", res, err)
		}
		var keys []int64
		if err := d.SelectContext(f.ctx, &keys, d.Rebind("SELECT ticket_id FROM thread_ids WHERE message_id = ?"), "shared@tickets.example"); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != ann.TicketID {
			t.Fatalf("thread keys of <shared@tickets.example> after the block: %v, want ann's ticket %d", keys, ann.TicketID)
		}
		if n := ghosts(); n != 0 {
			t.Fatalf("%d ghost keys of bob's purged ticket left", n)
		}

		reply := rawMail("reply@tickets.example", date2, "It is still broken.\r\n")
		reply.Subject = "Something else"
		reply.InReplyTo = []string{"shared@tickets.example"}
		if got := f.deliver(t, reply); got.TicketID != ann.TicketID {
			t.Fatalf("ann's reply after the block: ticket %d, want %d", got.TicketID, ann.TicketID)
		}
	})
}

// Blocking a sender whose mail reused a Message-ID on the same ticket as another sender's keeps
// the key: the other sender's message still has it.
func TestBlockKeepsAKeyAnotherMessageOfTheTicketHas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := rawMail("first@tickets.example", date1, "My printer is broken.\r\n")
		first.Cc = []tickets.Address{{Email: "bob@colleague.example"}}
		ann := f.deliver(t, first)
		second := rawMail("second@tickets.example", date1, "It is a Laserjet.\r\n")
		second.InReplyTo = []string{"first@tickets.example"}
		second.Cc = first.Cc
		if got := f.deliver(t, second); got.TicketID != ann.TicketID {
			t.Fatalf("ann's second mail: %+v", got)
		}
		// Bob, Cc'd, answers into the ticket; his mailer reuses the Message-ID of its first message.
		bob := rawMail("first@tickets.example", date2, "Me too.\r\n")
		bob.From = tickets.Address{Email: "bob@colleague.example"}
		bob.InReplyTo = []string{"second@tickets.example"}
		if got := f.deliver(t, bob); got.TicketID != ann.TicketID {
			t.Fatalf("bob's answer: %+v, want ann's ticket", got)
		}
		if _, err := f.s.Block(f.ctx, f.p, "desk.example", "bob@colleague.example", tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		var keys []int64
		if err := d.SelectContext(f.ctx, &keys, d.Rebind("SELECT ticket_id FROM thread_ids WHERE message_id = ?"), "first@tickets.example"); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != ann.TicketID {
			t.Fatalf("thread keys of ann's first message after blocking bob: %v", keys)
		}
	})
}

// Robot mail kept as system mail follows the messages' rule: the same Message-ID and body (or
// Date) is a redelivery; another body and Date is another mail, kept with the clash noted.
func TestReusedMessageIDOfRobotMailIsANewMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		robot := func(date, body string) tickets.Inbound {
			in := robotMail("robot-id@robot", "auto-reply")
			in.Raw = []byte("From: robot@other.example\r\nDate: " + date + "\r\nMessage-ID: <robot-id@robot>\r\n\r\n" + body)
			in.Date = rawMail("x@x", date, "").Date
			in.Text = body
			return in
		}
		if got := f.deliver(t, robot(date1, "I am away.\r\n")); !got.Kept {
			t.Fatalf("first: %+v", got)
		}
		if got := f.deliver(t, robot(date1, "I am away.\r\n")); got.Kept || !got.Duplicate {
			t.Fatalf("a redelivery: %+v, want a duplicate", got)
		}
		if got := f.deliver(t, robot(date1, "I am away.\r\n-- \r\nA footer.\r\n")); got.Kept || !got.Duplicate {
			t.Fatalf("a copy changed on the way, same Date: %+v, want a duplicate", got)
		}
		if got := f.deliver(t, robot(date2, "Your mail could not be delivered.\r\n")); !got.Kept || got.Duplicate {
			t.Fatalf("another mail with the Message-ID: %+v, want it kept", got)
		}
		if got := f.deliver(t, robot(date2, "Your mail could not be delivered.\r\n")); got.Kept || !got.Duplicate {
			t.Fatalf("the second one again: %+v, want a duplicate", got)
		}
		all, err := f.s.ListSystemMail(f.ctx, tickets.SystemMailFilter{PropertyID: f.p.ID})
		if err != nil || len(all) != 2 {
			t.Fatalf("system mail: %+v, %v, want 2", all, err)
		}
		// Newest first.
		if !strings.Contains(all[0].Problems, "Message-ID <robot-id@robot> is also that of an earlier, different robot mail") ||
			strings.Contains(all[1].Problems, "different") {
			t.Fatalf("problems: %q, %q", all[0].Problems, all[1].Problems)
		}
	})
}

// Robot mails racing with one Message-ID: redeliveries are kept once, and a different mail with
// that ID is kept too (the loser of the race looks again).
func TestConcurrentReusedMessageIDOfRobotMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := robotMail("robot-race@robot", "bounce")
				if i%2 == 1 {
					in.Raw = []byte("From: robot@other.example\r\nMessage-ID: <robot-race@robot>\r\n\r\nMailbox full.\r\n")
				}
				_, err := f.s.Deliver(f.ctx, f.p, f.secret, in)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.GetContext(f.ctx, &n, d.Rebind("SELECT COUNT(*) FROM system_mail WHERE message_id = ?"), "robot-race@robot"); err != nil || n != 2 {
			t.Fatalf("%d system mails, want 2 (%v)", n, err)
		}
	})
}
