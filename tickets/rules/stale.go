package rules

import "strings"

// Stale replies. An agent who answers an old copy of a ticket — after a colleague has already
// answered the customer or written a note — would send a second, perhaps contradicting, answer.
// What arrived on the ticket since the copy (or the page) the agent answers is judged here, one
// message at a time; tickets.Arrived collects it for the mail intake and the web inbox alike.

// Arrival is what the rule reads of a message that arrived on a ticket.
type Arrival struct {
	From      string // the sender's address: for a reply or a note, its agent's
	Direction string // "in", "out" (sent for an agent) or "note"
	Held      bool   // a reply kept, not sent (itself stale when written)
	// CommandsOnly is a note that is only command lines (#assign billing): an action on the
	// ticket, not an answer.
	CommandsOnly bool
}

// MakesStale reports whether p, arrived after what agent saw, makes agent's reply stale: it is a
// colleague's reply or note. The agent's own messages never count, nor the customer's (the mail
// of a customer who wrote again does not contradict the answer: the agent has its notification
// too), nor a held reply (nobody received it), nor a note of commands only.
func MakesStale(p Arrival, agent string) bool {
	if strings.EqualFold(strings.TrimSpace(p.From), strings.TrimSpace(agent)) || p.Held || p.CommandsOnly {
		return false
	}
	return p.Direction == "out" || p.Direction == "note"
}

// Stale holds a reply that MakesStale found something since: nothing is sent and no command
// runs; the agent is told what was sent since, and may send it anyway (#send). Only a reply that
// would go to the customer is held: a note, a reply they have already, or one the rules refused
// stays what it is.
func (v Verdict) Stale(stale bool) Verdict {
	if !stale || v.Outcome != Reply {
		return v
	}
	return Verdict{Outcome: Held, Event: "reply-held", Detail: "a colleague answered since the copy this replies to: kept, not sent (#send sends it)"}
}
