package threading

import (
	"errors"
	"fmt"
	"slices"
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
	branches     map[int64][]int64 // ticket → the tickets linked to it, oldest first
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

func (f fakeLookup) BranchOf(id int64, email string) (Ticket, bool, error) {
	bs := f.branches[id]
	for i := len(bs) - 1; i >= 0; i-- {
		if ok, _ := f.IsParticipant(bs[i], email); ok {
			return f.tickets[bs[i]], true, f.err
		}
	}
	return Ticket{}, false, f.err
}

var (
	t1 = Ticket{ID: 11, Number: 1, Status: Open}
	t2 = Ticket{ID: 12, Number: 2, Status: Open}
	t3 = Ticket{ID: 13, Number: 3, Status: Closed, ClosedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	t4 = Ticket{ID: 14, Number: 4, Status: Open} // eve's answer to #3, linked to it
)

func store() fakeLookup {
	return fakeLookup{
		tickets: map[int64]Ticket{11: t1, 12: t2, 13: t3, 14: t4},
		messageIDs: map[string]Match{
			"first@customer":    {Ticket: t1},
			"ack-2@desk":        {Ticket: t2},
			"copy-2-agent@desk": {Ticket: t2, AgentID: 5},
			"broadcast-3@desk":  {Ticket: t3},
			// Referenced by ticket 1's messages, never stored: ann's first mail answered it.
			"never-seen@customer":                {Ticket: t1, Ghost: true},
			"RT-Ticket-4567@rt.vendor.example":   {Ticket: t2, Ghost: true},
			"JIRA.10042.1764000000000@Atlassian": {Ticket: t2, Ghost: true},
		},
		participants: map[int64][]string{11: {"ann@customer"}, 12: {"bob@customer", "rt@vendor.example"}, 13: {"cy@customer"}, 14: {"eve@elsewhere"}},
		branches:     map[int64][]int64{13: {14}},
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
		{"headers beat the subject tag", Message{From: "ann@customer", Subject: "[#2]", InReplyTo: []string{"first@customer"}}, ByInReplyTo, 11, 0},

		// A Message-ID joins only a ticket the sender takes part in.
		{"in-reply-to from the customer joins", Message{From: "ann@customer", InReplyTo: []string{"first@customer"}}, ByInReplyTo, 11, 0},
		{"in-reply-to from a stranger opens a linked ticket", Message{From: "dan@other", InReplyTo: []string{"first@customer"}}, Answers, 11, 0},
		{"a stranger's case does not matter", Message{From: "Dan@Other", InReplyTo: []string{"first@customer"}}, Answers, 11, 0},
		{"a stranger's answer to a closed ticket opens a linked ticket too", Message{From: "dan@other", InReplyTo: []string{"broadcast-3@desk"}}, Answers, 13, 0},
		{"the evidence goes on to a ticket the sender takes part in", Message{From: "bob@customer", InReplyTo: []string{"first@customer"}, References: []string{"ack-2@desk", "first@customer"}}, ByReferences, 12, 0},
		{"the linked ticket is the closest ancestor's", Message{From: "dan@other", References: []string{"first@customer", "ack-2@desk"}}, Answers, 12, 0},
		{"a stranger's second answer joins the ticket of their first", Message{From: "eve@elsewhere", InReplyTo: []string{"broadcast-3@desk"}}, ByBranch, 14, 0},
		{"a participant's tag beats a stranger's in-reply-to", Message{From: "bob@customer", Subject: "Re: [#2] x", InReplyTo: []string{"first@customer"}}, BySubjectTag, 12, 0},
		{"a token joins even a non-participant", Message{From: "dan@other", Recipients: []string{tokenAddr(12, 0)}, InReplyTo: []string{"first@customer"}}, ByToken, 12, 0},

		// Ghost keys: ids the property's messages referenced but it never stored.
		{"a ghost in-reply-to from a participant joins", Message{From: "ann@customer", InReplyTo: []string{"never-seen@customer"}}, ByInReplyTo, 11, 0},
		{"a ghost in references from a participant joins", Message{From: "ann@customer", References: []string{"never-seen@customer", "unknown@x"}}, ByReferences, 11, 0},
		{"a ghost does not let a stranger in", Message{From: "dan@other", References: []string{"never-seen@customer"}}, Answers, 11, 0},
		{"the original after its reply joins the reply's ticket", Message{From: "ann@customer", MessageID: "never-seen@customer"}, ByReferencedBy, 11, 0},
		{"the original from a stranger opens a linked ticket", Message{From: "dan@other", MessageID: "never-seen@customer"}, Answers, 11, 0},
		{"a reused Message-ID of a stored message is no evidence", Message{From: "ann@customer", MessageID: "first@customer"}, NoEvidence, 0, 0},
		{"in-reply-to beats its own id", Message{From: "bob@customer", MessageID: "never-seen@customer", InReplyTo: []string{"ack-2@desk"}}, ByInReplyTo, 12, 0},

		// Another ticket system's own thread id, shared by all its mail on one of its tickets.
		{"request tracker's ticket id in references", Message{From: "rt@vendor.example", InReplyTo: []string{"rt-5.0.5-811-1764000000-1.4567-6-0@rt.vendor.example"}, References: []string{"RT-Ticket-4567@rt.vendor.example"}}, ByReferences, 12, 0},
		{"jira's issue id in in-reply-to", Message{From: "bob@customer", InReplyTo: []string{"JIRA.10042.1764000000000@Atlassian"}}, ByInReplyTo, 12, 0},
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

func TestKeys(t *testing.T) {
	m := Message{MessageID: "self@x", InReplyTo: []string{"parent@x", "self@x"}, References: []string{"root@x", "", "mid@x", "parent@x"}}
	if got, want := Keys(m), []string{"parent@x", "mid@x", "root@x"}; !slices.Equal(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
	// A References header of a thousand ids: the closest are read and kept, a bounded number.
	var refs []string
	for i := range 1000 {
		refs = append(refs, fmt.Sprintf("r%d@x", i))
	}
	long := Message{InReplyTo: []string{"r999@x"}, References: refs}
	keys, ghosts := Keys(long), GhostKeys(long)
	if len(keys) != MaxLookup || keys[0] != "r999@x" || keys[1] != "r998@x" {
		t.Errorf("Keys of 1000 references: %d, starting %v", len(keys), keys[:2])
	}
	if len(ghosts) != MaxGhosts || ghosts[MaxGhosts-1] != "r980@x" {
		t.Errorf("GhostKeys of 1000 references: %d, ending %q", len(ghosts), ghosts[len(ghosts)-1])
	}
	if len(GhostKeys(Message{MessageID: "a@x"})) != 0 {
		t.Error("a message without references has ghost keys")
	}
}

// countingLookup counts the participant checks, which cost a query each.
type countingLookup struct {
	fakeLookup
	asked *int
}

func (c countingLookup) IsParticipant(id int64, email string) (bool, error) {
	*c.asked++
	return c.fakeLookup.IsParticipant(id, email)
}

func TestResolveAsksOncePerTicket(t *testing.T) {
	l := countingLookup{store(), new(int)}
	m := Message{From: "dan@other", InReplyTo: []string{"first@customer"}, References: []string{"never-seen@customer", "ack-2@desk", "copy-2-agent@desk", "first@customer"}}
	d, err := Resolve(prop, m, l)
	if err != nil || d.Reason != Answers || d.Ticket.ID != 11 {
		t.Fatalf("got %s ticket %d, %v", d, d.Ticket.ID, err)
	}
	if *l.asked != 2 {
		t.Fatalf("asked %d times for 2 tickets", *l.asked)
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
		{"a stranger's answer to an open ticket follows it up", Decision{Ticket: onOpen.Ticket, Reason: Answers}, true, closed, FollowUp},
		{"a stranger's answer to a closed ticket follows it up within the window", Decision{Ticket: onClosed.Ticket, Reason: Answers}, true, closed.Add(time.Hour), FollowUp},
		{"a robot's answer to a ticket it takes no part in is appended (a bounce)", Decision{Ticket: onClosed.Ticket, Reason: Answers}, false, closed.Add(time.Hour), Append},
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
