// Package threading decides which ticket an inbound message belongs to, and why. It is pure: the
// evidence comes from a Lookup the caller implements (inside its transaction), and the same input
// always gives the same decision. The rules are those of DESIGN.md §2, strongest evidence first:
//
//  1. a signed reply token in a recipient address;
//  2. In-Reply-To, then References (closest ancestor first), then the message's own Message-ID,
//     against the property's thread keys: every Message-ID it stored, inbound and outbound, and
//     every "ghost" id its messages referenced (see Keys) — but only for a ticket the sender takes
//     part in (Message-IDs are shared by everyone who got a mail; see byMessageID);
//  3. a subject tag [#N], only when the sender already takes part in ticket N;
//  4. a Message-ID of a ticket the sender takes no part in: a new ticket linked to it (Answers);
//  5. otherwise a new ticket.
//
// A valid reply token joins whoever sends it, participant or not (DESIGN.md §2: the strongest
// evidence). It is signed, and postdesk writes it only into its own mail for that one ticket, which
// goes to the ticket's participants; anyone else who holds it was handed it by one of them — a
// colleague the customer forwarded our answer to, the customer writing from another of their
// addresses, an alias that delivers to a person. Those are the replies a token exists to keep in
// their thread. The bulk-reply merge comes from Message-IDs, which everyone who received a mail
// shares, so participation is asked of Message-IDs, not of tokens.
//
// Then the lifecycle rule (Lifecycle): a reply to a closed ticket within the reopen window reopens it;
// later, it opens a new ticket that follows up the old one. Robots never reopen or open tickets.
package threading

import (
	"fmt"
	"strings"
	"time"

	"github.com/postdesk/postdesk/replytoken"
)

// Reason names the evidence that decided; it is stored on the message.
type Reason string

const (
	ByToken      Reason = "reply-token"
	ByInReplyTo  Reason = "in-reply-to"
	ByReferences Reason = "references"
	BySubjectTag Reason = "subject-tag"
	NoEvidence   Reason = "new"
	// ByReferencedBy: the message's own Message-ID is a ghost key of the ticket — a reply to it
	// arrived first.
	ByReferencedBy Reason = "referenced-by"
	// Answers: a Message-ID names the ticket, but the sender takes no part in it (one of many who
	// got a mail): the mail opens a ticket of its own, linked to the one it answers.
	Answers Reason = "answers"
	// ByBranch: as Answers, but the sender already has a ticket linked to the one it answers (a
	// second answer to the same mail), and it joins that one.
	ByBranch Reason = "branch"
)

// MaxLookup is how many of a message's Message-IDs are looked up, closest first; MaxGhosts is how
// many are kept as thread keys of the ticket it lands on. A References header of a thousand ids
// must neither cost a thousand lookups nor write a thousand rows; the closest ancestors are the
// ones later mail shares.
const (
	MaxLookup = 100
	MaxGhosts = 20
)

// Status of a ticket, as far as threading cares.
type Status string

const (
	Open   Status = "open"
	Closed Status = "closed"
)

// Ticket is what threading needs to know of a candidate ticket.
type Ticket struct {
	ID       int64
	Number   int64
	Status   Status
	ClosedAt time.Time // zero unless closed
}

// Lookup is the evidence store, scoped to one property.
type Lookup interface {
	// TicketByID finds a ticket of the property by its ID (tokens name IDs).
	TicketByID(id int64) (Ticket, bool, error)
	// TicketsByMessageID maps each of ids that the property stored to its ticket, and to the agent
	// the mail was sent to when it was an agent's copy (0 otherwise).
	TicketsByMessageID(ids []string) (map[string]Match, error)
	// TicketByNumber finds a ticket of the property by its number.
	TicketByNumber(n int64) (Ticket, bool, error)
	// IsParticipant reports whether email takes part in the ticket (customer, Cc, or an agent).
	IsParticipant(ticketID int64, email string) (bool, error)
	// BranchOf finds the newest ticket that is linked to (follows up) ticketID and in which email
	// takes part.
	BranchOf(ticketID int64, email string) (Ticket, bool, error)
}

// Match is a stored Message-ID's ticket.
type Match struct {
	Ticket  Ticket
	AgentID int64
	// Ghost is true when the property never stored a message with this id: one of its messages
	// referenced it. A stored message's id wins over a ghost of the same id.
	Ghost bool
}

// Message is the evidence an inbound mail carries. Addresses should be lowercased.
type Message struct {
	// Recipients holds the addresses that may carry a reply token, strongest first: envelope
	// recipients, Delivered-To and X-Original-To, then To and Cc.
	Recipients []string
	From       string
	MessageID  string // its own Message-ID, "" when none
	InReplyTo  []string
	References []string
	Subject    string
}

// Property is the property the message was delivered to.
type Property struct {
	ID     int64
	Slug   string
	Secret []byte
}

// Decision is where a message goes.
type Decision struct {
	Ticket  Ticket // zero when Reason is NoEvidence
	AgentID int64  // the agent a token or an agent's copy names, 0 when none
	Reason  Reason
	Detail  string // the address, Message-ID or tag that decided
}

// Found reports whether the message belongs to an existing ticket.
func (d Decision) Found() bool { return d.Reason != NoEvidence }

// String renders the decision for the message's threading column: "in-reply-to <id@host>".
func (d Decision) String() string {
	if d.Detail == "" {
		return string(d.Reason)
	}
	return string(d.Reason) + " " + d.Detail
}

// Resolve applies the evidence rules in order; the first that holds decides.
func Resolve(p Property, m Message, l Lookup) (Decision, error) {
	if d, ok, err := byToken(p, m, l); err != nil || ok {
		return d, err
	}
	byID, ok, err := byMessageID(m, l)
	if err != nil || ok && byID.Reason != Answers {
		return byID, err
	}
	// A Message-ID of a ticket the sender takes no part in is weaker than the tag of one they do.
	if d, ok, err := bySubjectTag(m, l); err != nil || ok {
		return d, err
	}
	if ok {
		return byID, nil
	}
	return Decision{Reason: NoEvidence}, nil
}

func byToken(p Property, m Message, l Lookup) (Decision, bool, error) {
	for _, addr := range m.Recipients {
		slug, token, _, ok := replytoken.Split(addr)
		if !ok || token == "" || slug != p.Slug {
			continue
		}
		c, ok := replytoken.Verify(p.Secret, p.ID, token)
		if !ok {
			continue // forged or stale: no evidence
		}
		t, found, err := l.TicketByID(c.TicketID)
		if err != nil {
			return Decision{}, false, fmt.Errorf("threading: ticket %d: %w", c.TicketID, err)
		}
		if found {
			return Decision{Ticket: t, AgentID: c.AgentID, Reason: ByToken, Detail: addr}, true, nil
		}
	}
	return Decision{}, false, nil
}

// Keys is the message's Message-IDs that thread it, strongest first: In-Reply-To, then References
// from the closest ancestor (the last, RFC 5322 §3.6.4), each once, without its own Message-ID, at
// most MaxLookup.
func Keys(m Message) []string {
	ids := make([]string, 0, len(m.InReplyTo)+len(m.References))
	seen := map[string]bool{m.MessageID: true, "": true}
	add := func(id string) {
		if !seen[id] && len(ids) < MaxLookup {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range m.InReplyTo {
		add(id)
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		add(m.References[i])
	}
	return ids
}

// GhostKeys is what the ticket a message lands on keeps as thread keys besides its own Message-ID
// (jwz and notmuch threading keep every referenced id): the closest MaxGhosts of Keys. A later mail
// that shares one of them (a reply to a mail postdesk never saw, another ticket system's own
// thread id) then finds the ticket, and so does the original when it arrives after its reply.
func GhostKeys(m Message) []string {
	ids := Keys(m)
	if len(ids) > MaxGhosts {
		ids = ids[:MaxGhosts]
	}
	return ids
}

// byMessageID joins the first ticket, in the order of the evidence, that a key names and the
// sender takes part in. A Message-ID is no proof of who writes: everyone who received a mail has
// it — five customers answering one broadcast carry the same In-Reply-To, and joining them would
// send the agent's answer to the first and hide the others. A sender who takes part in none of the
// tickets named gets a ticket of their own (Answers), linked to the closest one — or their earlier
// such ticket (ByBranch). A mail without a From cannot be answered, so it cannot be misdirected:
// it joins as before.
func byMessageID(m Message, l Lookup) (Decision, bool, error) {
	ids := Keys(m)
	if m.MessageID != "" {
		ids = append(ids, m.MessageID)
	}
	if len(ids) == 0 {
		return Decision{}, false, nil
	}
	found, err := l.TicketsByMessageID(ids)
	if err != nil {
		return Decision{}, false, fmt.Errorf("threading: message-ids: %w", err)
	}
	from := strings.ToLower(m.From)
	takesPart := map[int64]bool{}
	var outsider *Decision
	for i, id := range ids {
		mt, ok := found[id]
		if !ok {
			continue
		}
		r := ByReferences
		switch {
		case id == m.MessageID:
			if !mt.Ghost {
				continue // another message with the same id (a reuse): no evidence
			}
			r = ByReferencedBy
		case i < len(m.InReplyTo):
			r = ByInReplyTo
		}
		d := Decision{Ticket: mt.Ticket, AgentID: mt.AgentID, Reason: r, Detail: "<" + id + ">"}
		if from == "" {
			return d, true, nil
		}
		part, asked := takesPart[mt.Ticket.ID]
		if !asked {
			if part, err = l.IsParticipant(mt.Ticket.ID, from); err != nil {
				return Decision{}, false, fmt.Errorf("threading: participants of #%d: %w", mt.Ticket.Number, err)
			}
			takesPart[mt.Ticket.ID] = part
		}
		if part {
			return d, true, nil
		}
		if outsider == nil {
			outsider = &d
		}
	}
	if outsider == nil {
		return Decision{}, false, nil
	}
	t, ok, err := l.BranchOf(outsider.Ticket.ID, from)
	if err != nil {
		return Decision{}, false, fmt.Errorf("threading: tickets linked to #%d: %w", outsider.Ticket.Number, err)
	}
	if ok {
		return Decision{Ticket: t, Reason: ByBranch, Detail: outsider.Detail}, true, nil
	}
	return Decision{Ticket: outsider.Ticket, Reason: Answers, Detail: outsider.Detail}, true, nil
}

func bySubjectTag(m Message, l Lookup) (Decision, bool, error) {
	n := SubjectTag(m.Subject)
	if n == 0 || m.From == "" {
		return Decision{}, false, nil
	}
	t, found, err := l.TicketByNumber(n)
	if err != nil {
		return Decision{}, false, fmt.Errorf("threading: ticket #%d: %w", n, err)
	}
	if !found {
		return Decision{}, false, nil
	}
	ok, err := l.IsParticipant(t.ID, strings.ToLower(m.From))
	if err != nil {
		return Decision{}, false, fmt.Errorf("threading: participants of #%d: %w", n, err)
	}
	if !ok {
		return Decision{}, false, nil // a stranger quoting a tag gets a ticket of their own
	}
	return Decision{Ticket: t, Reason: BySubjectTag, Detail: Tag(n)}, true, nil
}
