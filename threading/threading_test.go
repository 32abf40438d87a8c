package threading

import (
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/replytoken"
)

var secret = []byte("threading-test-secret-0123456789")

var prop = Property{ID: 1, Slug: "acme", Secret: secret}

// fakeLookup is an in-memory property: tickets by ID and number, stored Message-IDs, participants.
type fakeLookup struct {
	tickets      map[int64]Ticket
	messageIDs   map[string]Match
	participants map[int64][]string
	err          error
}

func (f fakeLookup) TicketByID(id int64) (Ticket, bool, error) {
	t, ok := f.tickets[id]
	return t, ok, f.err
}

func (f fakeLookup) TicketsByMessageID(ids []string) (map[string]Match, error) {
	out := map[string]Match{}
	for _, id := range ids {
		if m, ok := f.messageIDs[id]; ok {
			out[id] = m
		}
	}
	return out, f.err
}

func (f fakeLookup) TicketByNumber(n int64) (Ticket, bool, error) {
	for _, t := range f.tickets {
		if t.Number == n {
			return t, true, f.err
		}
	}
	return Ticket{}, false, f.err
}

func (f fakeLookup) IsParticipant(id int64, email string) (bool, error) {
	for _, p := range f.participants[id] {
		if p == email {
			return true, f.err
		}
	}
	return false, f.err
}

var (
	t1 = Ticket{ID: 11, Number: 1, Status: Open}
	t2 = Ticket{ID: 12, Number: 2, Status: Open}
	t3 = Ticket{ID: 13, Number: 3, Status: Closed, ClosedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
)

func store() fakeLookup {
	return fakeLookup{
		tickets: map[int64]Ticket{11: t1, 12: t2, 13: t3},
		messageIDs: map[string]Match{
			"first@customer":    {Ticket: t1},
			"ack-2@desk":        {Ticket: t2},
			"copy-2-agent@desk": {Ticket: t2, AgentID: 5},
		},
		participants: map[int64][]string{11: {"ann@customer"}, 12: {"bob@customer"}, 13: {"cy@customer"}},
	}
}

func tokenAddr(ticket, agent int64) string {
	return replytoken.Address("acme", replytoken.Sign(secret, prop.ID, replytoken.Claims{TicketID: ticket, AgentID: agent}), "desk.example")
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name       string
		msg        Message
		wantReason Reason
		wantTicket int64
		wantAgent  int64
	}{
		{"no evidence opens a ticket", Message{From: "new@customer", Subject: "help"}, NoEvidence, 0, 0},
		{"reply token decides", Message{Recipients: []string{tokenAddr(12, 0)}}, ByToken, 12, 0},
		{"agent token names the agent", Message{Recipients: []string{tokenAddr(11, 5)}}, ByToken, 11, 5},
		{"token beats headers", Message{Recipients: []string{tokenAddr(12, 0)}, InReplyTo: []string{"first@customer"}}, ByToken, 12, 0},
		{"forged token is no evidence", Message{Recipients: []string{"acme+t12-aaaaaaaaaaaaaaaa@desk.example"}, InReplyTo: []string{"first@customer"}}, ByInReplyTo, 11, 0},
		{"token of another property's slug is ignored", Message{Recipients: []string{"other+" + replytoken.Sign(secret, prop.ID, replytoken.Claims{TicketID: 12}) + "@desk.example"}}, NoEvidence, 0, 0},
		{"token for a ticket that is gone is ignored", Message{Recipients: []string{tokenAddr(99, 0)}}, NoEvidence, 0, 0},
		{"in-reply-to our acknowledgement", Message{InReplyTo: []string{"ack-2@desk"}}, ByInReplyTo, 12, 0},
		{"in-reply-to an agent's copy names the agent", Message{InReplyTo: []string{"copy-2-agent@desk"}}, ByInReplyTo, 12, 5},
		{"in-reply-to beats references", Message{InReplyTo: []string{"ack-2@desk"}, References: []string{"first@customer"}}, ByInReplyTo, 12, 0},
		{"references, closest ancestor first", Message{References: []string{"first@customer", "unknown@x", "ack-2@desk"}}, ByReferences, 12, 0},
		{"unknown in-reply-to falls back to references", Message{InReplyTo: []string{"nope@x"}, References: []string{"first@customer"}}, ByReferences, 11, 0},
		{"subject tag from a participant", Message{From: "bob@customer", Subject: "RE: AW: [#2] printer"}, BySubjectTag, 12, 0},
		{"subject tag from a stranger is no evidence", Message{From: "eve@elsewhere", Subject: "Re: [#2] printer"}, NoEvidence, 0, 0},
		{"subject tag of an unknown ticket", Message{From: "bob@customer", Subject: "[#77]"}, NoEvidence, 0, 0},
		{"headers beat the subject tag", Message{From: "bob@customer", Subject: "[#2]", InReplyTo: []string{"first@customer"}}, ByInReplyTo, 11, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Resolve(prop, c.msg, store())
			if err != nil {
				t.Fatal(err)
			}
			if d.Reason != c.wantReason || d.Ticket.ID != c.wantTicket || d.AgentID != c.wantAgent {
				t.Fatalf("got %s ticket %d agent %d, want %s ticket %d agent %d", d, d.Ticket.ID, d.AgentID, c.wantReason, c.wantTicket, c.wantAgent)
			}
		})
	}
}

func TestResolvePassesLookupErrorsUp(t *testing.T) {
	l := store()
	l.err = errors.New("database down")
	if _, err := Resolve(prop, Message{InReplyTo: []string{"x@y"}}, l); err == nil {
		t.Fatal("lookup error swallowed")
	}
}

func TestSubjectTag(t *testing.T) {
	cases := map[string]int64{
		"[#12] hello":               12,
		"Re: AW: RE : Fwd: [#7] x":  7,
		"TR: Re: question [#1234]":  1234,
		"no tag":                    0,
		"[#] empty":                 0,
		"[# 3] spaced":              0,
		"[#99999999999999999999] x": 0,
	}
	for s, want := range cases {
		if got := SubjectTag(s); got != want {
			t.Errorf("SubjectTag(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestLifecycle(t *testing.T) {
	closed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	onClosed := Decision{Ticket: Ticket{ID: 1, Status: Closed, ClosedAt: closed}, Reason: ByInReplyTo}
	onOpen := Decision{Ticket: Ticket{ID: 1, Status: Open}, Reason: ByInReplyTo}
	none := Decision{Reason: NoEvidence}
	w := DefaultReopenWindow
	cases := []struct {
		name  string
		d     Decision
		human bool
		now   time.Time
		want  Action
	}{
		{"a reply within 3 days reopens the ticket (71h59m)", onClosed, true, closed.Add(71*time.Hour + 59*time.Minute), Reopen},
		{"a reply at exactly 72h still reopens", onClosed, true, closed.Add(72 * time.Hour), Reopen},
		{"a reply after 3 days opens a follow-up (72h01m)", onClosed, true, closed.Add(72*time.Hour + time.Minute), FollowUp},
		{"a reply to an open ticket appends", onOpen, true, closed, Append},
		{"no evidence creates", none, true, closed, Create},
		{"an auto-reply never reopens", onClosed, false, closed.Add(time.Hour), Append},
		{"an auto-reply never follows up", onClosed, false, closed.Add(100 * time.Hour), Append},
		{"an auto-reply never opens a ticket", none, false, closed, Drop},
	}
	for _, c := range cases {
		if got := Lifecycle(c.d, c.human, c.now, w); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestSubjectRules(t *testing.T) {
	for _, c := range []struct {
		in                 string
		forward, reply     bool
		base, stripped     string
		strippedOfForwards string
	}{
		{"Printer on fire", false, false, "Printer on fire", "Printer on fire", "Printer on fire"},
		{"RE: AW: [#2] printer", false, true, "printer", "RE: AW: printer", "RE: AW: [#2] printer"},
		{"Fwd: TR: WG:  Invoice", true, true, "Invoice", "Fwd: TR: WG: Invoice", "Invoice"},
		{"Re[2]: Re(3): hello", false, true, "hello", "Re[2]: Re(3): hello", "Re[2]: Re(3): hello"},
		{"回复：价格", false, true, "价格", "回复：价格", "回复：价格"},
		{"Doorst: [#7] [#8] x", true, false, "x", "Doorst: x", "[#7] [#8] x"},
		{"Record: not a prefix", false, false, "Record: not a prefix", "Record: not a prefix", "Record: not a prefix"},
		{"[ # 12 ] loose tag", false, false, "[ # 12 ] loose tag", "[ # 12 ] loose tag", "[ # 12 ] loose tag"},
		{"I: inoltro", true, false, "inoltro", "I: inoltro", "inoltro"},
		{"", false, false, "", "", ""},
	} {
		if got := IsForward(c.in); got != c.forward {
			t.Errorf("IsForward(%q) = %v", c.in, got)
		}
		if got := IsReply(c.in); got != c.reply {
			t.Errorf("IsReply(%q) = %v", c.in, got)
		}
		if got := BaseSubject(c.in); got != c.base {
			t.Errorf("BaseSubject(%q) = %q, want %q", c.in, got, c.base)
		}
		if got := StripTags(c.in); got != c.stripped {
			t.Errorf("StripTags(%q) = %q, want %q", c.in, got, c.stripped)
		}
		if got := StripForward(c.in); got != c.strippedOfForwards {
			t.Errorf("StripForward(%q) = %q, want %q", c.in, got, c.strippedOfForwards)
		}
	}
	for _, c := range []struct {
		in   string
		n    int64
		want string
	}{
		{"Hello", 3, "[#3] Hello"},
		{"Re: [#3] Hello", 3, "Re: [#3] Hello"},
		{"a\r\nBcc: x\tb", 12, "[#12] a Bcc: x b"},
		{"", 1, "[#1]"},
	} {
		if got := WithTag(c.in, c.n); got != c.want {
			t.Errorf("WithTag(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
