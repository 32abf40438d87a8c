// Package threading decides which ticket an inbound message belongs to, and why. It is pure: the
// evidence comes from a Lookup the caller implements (inside its transaction), and the same input
// always gives the same decision. The rules are those of DESIGN.md §2, strongest evidence first:
//
//  1. a signed reply token in a recipient address;
//  2. In-Reply-To, then References (closest ancestor first), against every Message-ID the property
//     stored, inbound and outbound;
//  3. a subject tag [#N], only when the sender already takes part in ticket N;
//  4. otherwise a new ticket.
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
}

// Match is a stored Message-ID's ticket.
type Match struct {
	Ticket  Ticket
	AgentID int64
}

// Message is the evidence an inbound mail carries. Addresses should be lowercased.
type Message struct {
	// Recipients holds the addresses that may carry a reply token, strongest first: envelope
	// recipients, Delivered-To and X-Original-To, then To and Cc.
	Recipients []string
	From       string
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
	if d, ok, err := byMessageID(m, l); err != nil || ok {
		return d, err
	}
	if d, ok, err := bySubjectTag(m, l); err != nil || ok {
		return d, err
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

func byMessageID(m Message, l Lookup) (Decision, bool, error) {
	var ids []string
	ids = append(ids, m.InReplyTo...)
	// The closest ancestor is the last reference (RFC 5322 §3.6.4).
	for i := len(m.References) - 1; i >= 0; i-- {
		ids = append(ids, m.References[i])
	}
	if len(ids) == 0 {
		return Decision{}, false, nil
	}
	found, err := l.TicketsByMessageID(ids)
	if err != nil {
		return Decision{}, false, fmt.Errorf("threading: message-ids: %w", err)
	}
	for i, id := range ids {
		if mt, ok := found[id]; ok {
			r := ByReferences
			if i < len(m.InReplyTo) {
				r = ByInReplyTo
			}
			return Decision{Ticket: mt.Ticket, AgentID: mt.AgentID, Reason: r, Detail: "<" + id + ">"}, true, nil
		}
	}
	return Decision{}, false, nil
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
