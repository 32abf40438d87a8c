package intake

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/threading"
)

// viaGroup is a customer's mail whose From a Google Group that is the support address rewrote
// (the sender's domain publishes strict DMARC): the real sender is only in the extra fields.
func viaGroup(id, name, extra string) string {
	return "From: '" + name + "' via Support <support@acme.example>\r\nTo: support@acme.example\r\nSubject: Help from " + name + "\r\nMessage-ID: <" + id + ">\r\n" + extra +
		"List-Id: <support.acme.example>\r\nList-Post: <mailto:support@acme.example>\r\nPrecedence: list\r\n\r\nMy printer is broken.\r\n"
}

func sqlStrings(t *testing.T, d *db.DB, q string, args ...any) []string {
	t.Helper()
	var out []string
	if err := d.SelectContext(context.Background(), &out, d.Rebind(q), args...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Different customers writing through a group that rewrites From are different customers, each
// on their own ticket, and the group's address is never a contact.
func TestListRewrittenFromIsTheOriginalSender(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		mails := []struct{ raw, email, name string }{
			{viaGroup("a1@x.example", "Ann", "X-Original-From: Ann Smith <ann@a.example>\r\nReply-To: support@acme.example\r\n"), "ann@a.example", "Ann Smith"},
			{viaGroup("b1@x.example", "Bob", "X-Original-Sender: bob@b.example\r\n"), "bob@b.example", "Bob"},
			{viaGroup("c1@x.example", "Carol", "Reply-To: Carol <carol@c.example>\r\n"), "carol@c.example", "Carol"},
			// Mailman: From is the list's own address (its List-Id's address form), elsewhere.
			{"From: Dan via Help <help@lists.example>\r\nTo: help@lists.example\r\nSubject: Broken\r\nMessage-ID: <d1@x.example>\r\nX-Original-From: dan@d.example\r\nList-Id: Help list <help.lists.example>\r\nPrecedence: list\r\n\r\nIt is broken.\r\n", "dan@d.example", "Dan"},
		}
		seen := map[int64]bool{}
		for _, m := range mails {
			got := f.deliver(t, "support+bncBD@acme.example", m.raw)
			if got.Action != threading.Create || seen[got.TicketID] {
				t.Fatalf("%s: %+v, want a ticket of its own", m.email, got)
			}
			seen[got.TicketID] = true
			det, err := f.s.Detail(ctx, f.p.ID, got.TicketNumber)
			if err != nil {
				t.Fatal(err)
			}
			if det.Ticket.Customer != m.email || det.Ticket.CustomerName != m.name {
				t.Errorf("customer %q %q, want %q %q", det.Ticket.Customer, det.Ticket.CustomerName, m.email, m.name)
			}
		}
		want := []string{"ann@a.example", "bob@b.example", "carol@c.example", "dan@d.example"}
		if got := sqlStrings(t, d, `SELECT email FROM contacts`); !slices.Equal(got, want) {
			t.Fatalf("contacts %v, want %v", got, want)
		}
		// Naming nobody, the mail is still stored, with no customer rather than the list.
		got := f.deliver(t, "support+bncBD@acme.example", viaGroup("e1@x.example", "Eve", ""))
		if got.TicketID == 0 {
			t.Fatalf("list mail naming no sender: %+v", got)
		}
		if got := sqlStrings(t, d, `SELECT email FROM contacts`); !slices.Equal(got, want) {
			t.Fatalf("contacts %v, want %v", got, want)
		}
		if got := sqlStrings(t, d, `SELECT email FROM ticket_participants WHERE ticket_id = ?`, got.TicketID); len(got) != 0 {
			t.Fatalf("participants %v of mail naming no sender", got)
		}
	})
}

// The list's posting address is not copied on replies: it is not a participant; other people on
// the mail are.
func TestListPostAddressIsNoParticipant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		raw := "From: Ann <ann@a.example>\r\nTo: help@lists.example\r\nCc: Bob <bob@b.example>, HELP@lists.example\r\nSubject: Broken\r\nMessage-ID: <p1@x.example>\r\n" +
			"List-Id: <help.lists.example>\r\nList-Post: <mailto:help@lists.example>\r\nPrecedence: list\r\n\r\nIt is broken.\r\n"
		got := f.deliver(t, "bounces@lists.example", raw)
		if got.Action != threading.Create {
			t.Fatalf("%+v", got)
		}
		parts := sqlStrings(t, d, `SELECT email FROM ticket_participants WHERE ticket_id = ?`, got.TicketID)
		if want := []string{"ann@a.example", "bob@b.example"}; !slices.Equal(parts, want) {
			t.Fatalf("participants %v, want %v", parts, want)
		}
	})
}

// Our own mail coming back through the group is a loop: never acted on, no ticket opened.
func TestOwnMailBackThroughListIsALoop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		raw := strings.Replace(groupMail("l1@desk.example", "Your ticket", ""), "Subject:", compose.LoopHeader+": acme\r\nSubject:", 1)
		m := Prepare("support+bncBD@acme.example", []byte(raw))
		if m.Class.Kind != "loop" {
			t.Fatalf("classified %s (%s), want loop", m.Class.Kind, m.Class.Reason)
		}
		got, err := f.pl.Deliver(context.Background(), f.p, []string{"acme@desk.example"}, m)
		if err != nil {
			t.Fatal(err)
		}
		if got.Action != threading.Drop || got.TicketID != 0 {
			t.Fatalf("our own mail through the list: %+v, want no ticket", got)
		}
	})
}
