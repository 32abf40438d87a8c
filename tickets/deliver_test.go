package tickets_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

type fixture struct {
	s      *tickets.Store
	clk    *testclock.Clock
	p      tickets.Property
	secret []byte
	ctx    context.Context
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := tickets.New(d, tickets.WithClock(clk.Now))
	ctx := context.Background()
	p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{s: s, clk: clk, p: p, secret: secret, ctx: ctx}
}

func (f *fixture) deliver(t *testing.T, in tickets.Inbound) tickets.Delivery {
	t.Helper()
	if in.Raw == nil {
		in.Raw = []byte("Subject: " + in.Subject + "\r\n\r\n" + in.Text)
	}
	d, err := f.s.Deliver(f.ctx, f.p, f.secret, in)
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return d
}

func customerMail(id, subject string) tickets.Inbound {
	return tickets.Inbound{
		From:      tickets.Address{Name: "Ann", Email: "Ann@Customer.example"},
		To:        []tickets.Address{{Email: "support@acme.example"}},
		Subject:   subject,
		MessageID: id,
		Text:      "hello",
		Kind:      "human",
	}
}

func TestNewMailOpensTicketAndReplyJoinsIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, customerMail("m1@customer", "Printer on fire"))
		if first.Action != threading.Create || first.TicketNumber != 1 {
			t.Fatalf("first mail: %+v", first)
		}
		reply := customerMail("m2@customer", "Re: Printer on fire")
		reply.InReplyTo = []string{"m1@customer"}
		r := f.deliver(t, reply)
		if r.Action != threading.Append || r.TicketID != first.TicketID || r.Decision.Reason != threading.ByInReplyTo {
			t.Fatalf("reply: %+v", r)
		}
		det, err := f.s.Detail(f.ctx, f.p.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if det.MessageCount != 2 || len(det.Messages) != 2 || det.Customer != "ann@customer.example" || det.CustomerName != "Ann" {
			t.Fatalf("detail: %+v", det)
		}
		if det.Messages[1].Threading != "in-reply-to <m1@customer>" || det.Messages[0].Threading != "new" {
			t.Fatalf("threading reasons: %q, %q", det.Messages[0].Threading, det.Messages[1].Threading)
		}
	})
}

func TestRedeliveryStoresNothingNew(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.deliver(t, customerMail("same@customer", "Hello"))
		again := f.deliver(t, customerMail("same@customer", "Hello"))
		if !again.Duplicate {
			t.Fatalf("second delivery not a duplicate: %+v", again)
		}
		// Without a Message-ID the raw bytes decide.
		noID := customerMail("", "No id")
		noID.Raw = []byte("Subject: No id\r\n\r\nbody")
		f.deliver(t, noID)
		if d := f.deliver(t, noID); !d.Duplicate {
			t.Fatalf("same raw bytes without Message-ID stored twice: %+v", d)
		}
		other := noID
		other.Raw = []byte("Subject: No id\r\n\r\nother body")
		if d := f.deliver(t, other); d.Duplicate {
			t.Fatal("different raw bytes taken for a duplicate")
		}
		ts, _ := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{})
		if len(ts) != 3 {
			t.Fatalf("%d tickets, want 3", len(ts))
		}
	})
}

func TestConcurrentRedeliveryStoresOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.s.Deliver(f.ctx, f.p, f.secret, customerMail("race@customer", "Race"))
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
		ts, _ := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{})
		if len(ts) != 1 || ts[0].Messages != 1 {
			t.Fatalf("tickets after 8 concurrent deliveries: %+v", ts)
		}
	})
}

func TestReopenWindow(t *testing.T) {
	cases := []struct {
		name      string
		after     time.Duration
		want      threading.Action
		wantOpen  bool
		newTicket bool
	}{
		{"a reply 71h59m after closing reopens the ticket", 71*time.Hour + 59*time.Minute, threading.Reopen, true, false},
		{"a reply 72h01m after closing opens a new, linked ticket", 72*time.Hour + time.Minute, threading.FollowUp, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				f := newFixture(t, d)
				f.deliver(t, customerMail("c1@customer", "Question"))
				if _, err := f.s.Close(f.ctx, f.p.ID, 1, "test"); err != nil {
					t.Fatal(err)
				}
				f.clk.Advance(c.after)
				reply := customerMail("c2@customer", "Re: Question")
				reply.InReplyTo = []string{"c1@customer"}
				got := f.deliver(t, reply)
				if got.Action != c.want {
					t.Fatalf("action %s, want %s", got.Action, c.want)
				}
				old, _ := f.s.Ticket(f.ctx, f.p.ID, 1)
				if (old.Status == tickets.StatusOpen) != c.wantOpen {
					t.Fatalf("old ticket status %s", old.Status)
				}
				if c.newTicket {
					nt, err := f.s.Ticket(f.ctx, f.p.ID, 2)
					if err != nil {
						t.Fatal(err)
					}
					if nt.FollowsUp == nil || *nt.FollowsUp != 1 || nt.Subject != "Re: Question" {
						t.Fatalf("follow-up ticket: %+v", nt)
					}
				}
				det, _ := f.s.Detail(f.ctx, f.p.ID, 1)
				last := det.Events[len(det.Events)-1].Kind
				if c.wantOpen && last != "reopened" || !c.wantOpen && last != "followed-up" {
					t.Fatalf("last event %q", last)
				}
			})
		})
	}
}

func TestRespectsPropertyReopenWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		short, err := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: "short", Name: "Short", ReopenWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		in := customerMail("s1@customer", "Q")
		in.Raw = []byte("x")
		if _, err := f.s.Deliver(f.ctx, short, f.secret, in); err != nil {
			t.Fatal(err)
		}
		f.s.Close(f.ctx, short.ID, 1, "test")
		f.clk.Advance(61 * time.Minute)
		reply := customerMail("s2@customer", "Re: Q")
		reply.InReplyTo, reply.Raw = []string{"s1@customer"}, []byte("y")
		got, err := f.s.Deliver(f.ctx, short, f.secret, reply)
		if err != nil || got.Action != threading.FollowUp {
			t.Fatalf("got %+v, %v; want a follow-up after a 1h window", got, err)
		}
	})
}

func TestRobotsNeverOpenOrReopen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.deliver(t, customerMail("r1@customer", "Question"))
		f.s.Close(f.ctx, f.p.ID, 1, "test")
		ooo := customerMail("ooo@customer", "Out of office")
		ooo.InReplyTo, ooo.Kind = []string{"r1@customer"}, "auto-reply"
		got := f.deliver(t, ooo)
		if got.Action != threading.Append {
			t.Fatalf("auto-reply action %s", got.Action)
		}
		tk, _ := f.s.Ticket(f.ctx, f.p.ID, 1)
		if tk.Status != tickets.StatusClosed || tk.Messages != 2 {
			t.Fatalf("auto-reply changed the ticket: %+v", tk)
		}
		stray := customerMail("stray@customer", "Out of office")
		stray.Kind = "auto-reply"
		if got := f.deliver(t, stray); got.Action != threading.Drop {
			t.Fatalf("unthreaded auto-reply: %s", got.Action)
		}
		bounce := customerMail("", "Undelivered Mail Returned to Sender")
		bounce.Kind, bounce.From = "bounce", tickets.Address{Email: "MAILER-DAEMON@mx.example"}
		if got := f.deliver(t, bounce); got.Action != threading.Drop {
			t.Fatalf("unthreaded bounce: %s", got.Action)
		}
		ts, _ := f.s.List(f.ctx, f.p.ID, tickets.ListFilter{})
		if len(ts) != 1 {
			t.Fatalf("robots opened tickets: %d", len(ts))
		}
	})
}

func TestSubjectTagOnlyFromParticipants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := customerMail("t1@customer", "Order 42")
		// Among the Cc: the property's from address, and its forwarding and reply addresses at
		// the forwarding domain the mail came through; acme at another domain is a person.
		first.Cc = []tickets.Address{{Email: "boss@customer.example"}, {Email: "support@acme.example"},
			{Email: "acme@desk.example"}, {Email: "acme+tok@desk.example"}, {Email: "acme@elsewhere.example"}}
		first.Domain = "desk.example"
		f.deliver(t, first)
		boss := tickets.Inbound{From: tickets.Address{Email: "boss@customer.example"}, Subject: "Re: [#1] Order 42", MessageID: "t2@customer", Kind: "human"}
		if got := f.deliver(t, boss); got.Decision.Reason != threading.BySubjectTag || got.TicketNumber != 1 {
			t.Fatalf("participant with subject tag: %+v", got)
		}
		eve := tickets.Inbound{From: tickets.Address{Email: "eve@evil.example"}, Subject: "Re: [#1] Order 42", MessageID: "t3@evil", Kind: "human"}
		if got := f.deliver(t, eve); got.Action != threading.Create || got.TicketNumber != 2 {
			t.Fatalf("stranger with subject tag: %+v", got)
		}
		det, _ := f.s.Detail(f.ctx, f.p.ID, 1)
		for _, p := range det.Participants {
			if p == "support@acme.example" || strings.HasSuffix(p, "@desk.example") {
				t.Fatalf("the property's own address %s became a participant", p)
			}
		}
		if !slices.Contains(det.Participants, "acme@elsewhere.example") {
			t.Fatalf("acme@elsewhere.example is not a participant: %v", det.Participants)
		}
	})
}

func TestReplyTokenThreadsWhenHeadersAreGone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, customerMail("k1@customer", "Token"))
		tok := replytoken.Sign(f.secret, f.p.ID, replytoken.Claims{TicketID: first.TicketID})
		reply := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Token (edited)", MessageID: "k2@customer",
			Recipients: []string{replytoken.Address("acme", tok, "desk.example")}, Kind: "human"}
		if got := f.deliver(t, reply); got.Decision.Reason != threading.ByToken || got.TicketID != first.TicketID {
			t.Fatalf("token reply: %+v", got)
		}
	})
}

func TestNoEvidenceCrossesProperties(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		other, _ := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: "globex", Name: "Globex"})
		a := f.deliver(t, customerMail("x1@customer", "At Acme"))
		// A reply whose headers and token point at Acme's ticket, delivered to Globex.
		tok := replytoken.Sign(f.secret, f.p.ID, replytoken.Claims{TicketID: a.TicketID})
		in := customerMail("x2@customer", "Re: [#1] At Acme")
		in.InReplyTo = []string{"x1@customer"}
		in.Recipients = []string{replytoken.Address("globex", tok, "desk.example"), replytoken.Address("acme", tok, "desk.example")}
		got, err := f.s.Deliver(f.ctx, other, f.secret, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Action != threading.Create || got.TicketNumber != 1 {
			t.Fatalf("Globex delivery threaded into Acme: %+v", got)
		}
		acme, _ := f.s.Ticket(f.ctx, f.p.ID, 1)
		if acme.Messages != 1 {
			t.Fatalf("Acme's ticket got Globex's mail")
		}
		// The same message may be delivered to both properties: one copy each.
		if again, _ := f.s.Deliver(f.ctx, f.p, f.secret, in); again.Duplicate {
			t.Fatal("a copy for a second property was taken as a duplicate")
		}
	})
}

func TestAdminValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: "acme", Name: "Again"}); !errors.Is(err, tickets.ErrExists) {
			t.Errorf("duplicate slug: %v", err)
		}
		for _, slug := range []string{"", "Has Space", "a+b", "-lead", "x@y"} {
			if _, err := f.s.CreateProperty(f.ctx, tickets.NewProperty{Slug: slug, Name: "N"}); !errors.Is(err, tickets.ErrInvalid) {
				t.Errorf("slug %q: %v", slug, err)
			}
		}
		if _, err := f.s.AddAgent(f.ctx, f.p.ID, "not-an-email", "N", ""); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("bad agent email: %v", err)
		}
		if _, err := f.s.AddAgent(f.ctx, f.p.ID, "a@acme.example", "A", "king"); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("bad role: %v", err)
		}
		a, err := f.s.AddAgent(f.ctx, f.p.ID, "A@Acme.example", "Alice", "")
		if err != nil || a.Role != "support" || a.Email != "a@acme.example" {
			t.Fatalf("add agent: %+v %v", a, err)
		}
		if _, err := f.s.AddDepartment(f.ctx, f.p.ID, "Billing", []string{"nobody@acme.example"}); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("department with a stranger: %v", err)
		}
		dep, err := f.s.AddDepartment(f.ctx, f.p.ID, "Billing", []string{"a@acme.example"})
		if err != nil || len(dep.Members) != 1 {
			t.Fatalf("department: %+v %v", dep, err)
		}
		if again, _ := f.s.AddDepartment(f.ctx, f.p.ID, "billing", nil); again.ID != dep.ID {
			t.Error("department names are not case-insensitive")
		}
	})
}

// The posting address of the list a mail came through is no participant (replies would be
// copied to the whole list); other people on the mail are.
func TestListPostIsNoParticipant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := customerMail("lp1@customer.example", "Printer")
		in.Kind, in.ListPost = tickets.KindList, "help@lists.example"
		in.To = []tickets.Address{{Email: "Help@Lists.example"}}
		in.Cc = []tickets.Address{{Name: "Bob", Email: "bob@customer.example"}}
		got := f.deliver(t, in)
		det, err := f.s.Detail(f.ctx, f.p.ID, got.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		parts := slices.Sorted(slices.Values(det.Participants))
		if want := []string{"ann@customer.example", "bob@customer.example"}; !slices.Equal(parts, want) {
			t.Fatalf("participants %v, want %v", parts, want)
		}
	})
}
