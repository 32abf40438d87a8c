package tickets_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

func robotMail(id, kind string) tickets.Inbound {
	in := customerMail(id, "Automatic reply: hello")
	in.From = tickets.Address{Email: "robot@other.example"}
	in.Kind = kind
	in.Raw = []byte("From: robot@other.example\r\nSubject: Automatic reply: hello\r\nMessage-ID: <" + id + ">\r\n\r\nI am away.\r\n")
	in.Text = "I am away.\r\n"
	in.Problems = []string{"a problem of its parsing"}
	return in
}

// Robot mail that threads into no ticket is kept — raw bytes and reading — for the property's
// admins: never a ticket, and once however often it is delivered.
func TestUnmatchedRobotMailIsKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, kind := range []string{"auto-reply", "bounce", "challenge-response", "feedback-report", "loop"} {
			in := robotMail(kind+"@robot", kind)
			got := f.deliver(t, in)
			if got.Action != threading.Drop || !got.Kept || got.TicketID != 0 {
				t.Fatalf("%s: %+v, want kept without a ticket", kind, got)
			}
			if again := f.deliver(t, in); again.Kept || !again.Duplicate {
				t.Fatalf("%s again: %+v, want a duplicate", kind, again)
			}
		}
		if ts, _ := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{}); len(ts) != 0 {
			t.Fatalf("%d tickets from robots", len(ts))
		}
		all, err := f.s.ListSystemMail(f.ctx, tickets.SystemMailFilter{PropertyID: f.p.ID})
		if err != nil || len(all) != 5 {
			t.Fatalf("system mail: %d, %v", len(all), err)
		}
		bounces, err := f.s.ListSystemMail(f.ctx, tickets.SystemMailFilter{PropertyID: f.p.ID, Kind: tickets.SystemRobot, Class: "bounce"})
		if err != nil || len(bounces) != 1 || bounces[0].Property != "acme" || bounces[0].From != "robot@other.example" || bounces[0].Problems != "a problem of its parsing" {
			t.Fatalf("bounces: %+v, %v", bounces, err)
		}
		m, err := f.s.SystemMailByID(f.ctx, f.p.ID, bounces[0].ID)
		if err != nil || !bytes.Equal(m.Raw, robotMail("bounce@robot", "bounce").Raw) || m.Text != "I am away.\r\n" {
			t.Fatalf("the kept bounce: %+v, %v", m, err)
		}
		other, _ := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: "other", Name: "Other"})
		if _, err := f.s.SystemMailByID(f.ctx, other.ID, bounces[0].ID); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("another property's system mail: %v", err)
		}
		// The same robot mail to another property is kept there too.
		if got, err := f.s.Deliver(f.ctx, other, f.secret, robotMail("bounce@robot", "bounce")); err != nil || !got.Kept {
			t.Fatalf("to the other property: %+v, %v", got, err)
		}
	})
}

// Robot mail that threads is kept on its ticket, as before; a person's mail is never system mail;
// a blocked address's robot mail leaves no trace.
func TestSystemMailIsOnlyUnmatchedRobotMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, customerMail("q@customer", "Question"))
		reply := robotMail("ooo@robot", "auto-reply")
		reply.InReplyTo = []string{"q@customer"}
		if got := f.deliver(t, reply); got.Kept || got.TicketID != first.TicketID {
			t.Fatalf("a threaded auto-reply: %+v", got)
		}
		if _, err := f.s.Block(f.ctx, f.p, "desk.example", "robot@other.example", tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		if got := f.deliver(t, robotMail("blocked@robot", "auto-reply")); got.Kept || got.Duplicate {
			t.Fatalf("a blocked robot's mail: %+v", got)
		}
		if ms, err := f.s.ListSystemMail(f.ctx, tickets.SystemMailFilter{}); err != nil || len(ms) != 0 {
			t.Fatalf("system mail: %+v, %v", ms, err)
		}
	})
}

// Robot system mail is purged after the retention time (30 days unless set); postmaster mail,
// which a person may have written, is not.
func TestSystemMailRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if keep, err := f.s.SystemMailRetention(f.ctx); err != nil || keep != 30*24*time.Hour {
			t.Fatalf("default retention %s, %v", keep, err)
		}
		f.deliver(t, robotMail("old@robot", "bounce"))
		if _, err := f.s.KeepSystemMail(f.ctx, tickets.SystemPostmaster, robotMail("pm@robot", "human"), nil); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(29 * 24 * time.Hour)
		f.deliver(t, robotMail("new@robot", "bounce"))
		if n, err := f.s.PurgeSystemMail(f.ctx); err != nil || n != 0 {
			t.Fatalf("purged %d within the retention time (%v)", n, err)
		}
		f.clk.Advance(2 * 24 * time.Hour)
		if n, err := f.s.PurgeSystemMail(f.ctx); err != nil || n != 1 {
			t.Fatalf("purged %d after 31 days, want 1 (%v)", n, err)
		}
		if err := f.s.SetSystemMailRetention(f.ctx, 30*time.Minute); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("a retention under an hour: %v", err)
		}
		if err := f.s.SetSystemMailRetention(f.ctx, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.PurgeSystemMail(f.ctx); err != nil || n != 1 {
			t.Fatalf("purged %d with a day's retention, want 1 (%v)", n, err)
		}
		left, err := f.s.ListSystemMail(f.ctx, tickets.SystemMailFilter{})
		if err != nil || len(left) != 1 || left[0].Kind != tickets.SystemPostmaster {
			t.Fatalf("left: %+v, %v", left, err)
		}
	})
}
