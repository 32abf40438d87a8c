package threading

import "time"

// Action is what an inbound message does to the ticket it was threaded to.
type Action string

const (
	// Append adds the message to an open ticket (or, for robots, to any ticket, changing nothing).
	Append Action = "append"
	// Reopen adds the message to a closed ticket and reopens it.
	Reopen Action = "reopen"
	// FollowUp opens a new ticket linked to the one it answers: a closed one, after the reopen
	// window, or one the sender takes no part in (Answers).
	FollowUp Action = "follow-up"
	// Create opens a new ticket.
	Create Action = "create"
	// Drop stores nothing: a robot's mail that answers no ticket.
	Drop Action = "drop"
)

// DefaultReopenWindow is how long after closing a customer's answer reopens a ticket.
const DefaultReopenWindow = 72 * time.Hour

// Lifecycle turns a decision into an action. human is false for auto-replies, bounces and other
// robots: they never reopen a ticket and never open one. A reply within window of closing (inclusive)
// reopens; a later one follows up in a new ticket. A person's answer to a ticket they take no part
// in follows it up in a new ticket whatever its state; a robot's (a bounce, an auto-reply of one of
// many recipients) is appended to it, as robots never open tickets.
func Lifecycle(d Decision, human bool, now time.Time, window time.Duration) Action {
	switch {
	case !d.Found() && !human:
		return Drop
	case !d.Found():
		return Create
	case d.Reason == Answers && human:
		return FollowUp
	case !human || d.Ticket.Status != Closed:
		return Append
	case !now.After(d.Ticket.ClosedAt.Add(window)):
		return Reopen
	default:
		return FollowUp
	}
}
