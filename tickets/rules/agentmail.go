package rules

import (
	"fmt"
	"strings"
)

// Mail from an agent of the property that threads into one of its tickets. What it does depends on
// how sure we are that the agent wrote it, answering postdesk:
//
//   - answering their own copy (an agent-scoped reply token, or the Message-ID of a copy postdesk
//     sent them) with the agent in From: it is the agent's reply, sent on to the customer and Cc,
//     copied to the other agents involved and the ticket's audience, never back to its author;
//   - commands at the top (#close, #assign …) run only with an agent-scoped token of that same
//     agent (and, when required, an aligned DKIM signature); anything else never runs a command;
//   - #note, or a reply of commands only, is an internal note: nothing goes to the customer;
//   - a command that cannot be read changes nothing and sends nothing on: the agent gets one error
//     mail (rate limited by notify);
//   - an agent who answered the customer directly with the property in copy: the customer has it
//     already; it is posted as the agent's reply and copied to the other agents only.

// AgentMail is what is known of an agent's mail on a ticket when its fate is decided.
type AgentMail struct {
	// Unverified, when not "", is why the mail may not act for the agent.
	Unverified string
	Scoped     bool // it answers a postdesk mail sent to this agent
	ByToken    bool // … through its signed, agent-scoped token
	// HasCommands is whether it starts with commands (readable or not); Note whether one is #note.
	HasCommands, Note bool
	// CommandErrors is what of the commands cannot be run (unreadable, an unknown assignee); it is
	// read only when CommandsMayRun.
	CommandErrors []string
	Internal      bool   // it answers the copy of an internal note or an error mail
	Direct        bool   // the ticket's customer is in its To or Cc
	Body          string // what of it may be sent to the customer: the agent's words, unquoted
}

// CommandsMayRun reports whether the mail's commands may run: verified, in an answer to the
// agent's own copy through its token.
func (m AgentMail) CommandsMayRun() bool {
	return m.HasCommands && m.Unverified == "" && m.Scoped && m.ByToken
}

// Outcome is what an agent's mail becomes.
type Outcome int

const (
	Posted       Outcome = iota // posted on the ticket; the audience is told
	Reply                       // the agent's reply: sent to the customer and Cc, copies to agents
	ReplyDirect                 // the customer has it already: copies to agents
	InternalNote                // an internal note: copies to agents
	CommandsOnly                // commands only: nothing to send for the mail itself
	Refused                     // held: nothing runs or is sent; the agent is told why
	Held                        // a stale reply: kept as a held note until the agent sends it (see Stale)
)

// Verdict is what the rules decide of an agent's mail.
type Verdict struct {
	Outcome Outcome
	// RunCommands is whether the mail's commands run.
	RunCommands bool
	// Event and Detail, when Event is not "", are the ticket's log entry of a refusal; Notices is
	// what the agent is told of it.
	Event, Detail string
	Notices       []string
}

// Direction is where the mail is stored: "in" (posted), "out" (a reply) or "note".
func (v Verdict) Direction() string {
	switch v.Outcome {
	case Posted:
		return "in"
	case Reply, ReplyDirect:
		return "out"
	}
	return "note"
}

func refuse(event, why string) Verdict {
	return Verdict{Outcome: Refused, Event: event, Detail: why, Notices: []string{why}}
}

// DecideAgentMail is the fate of an agent's mail on a ticket (before the loop brake: see Brake).
func DecideAgentMail(m AgentMail) Verdict {
	var v Verdict
	switch {
	case (m.HasCommands || m.Scoped) && m.Unverified != "":
		return refuse("agent-mail-refused", m.Unverified+": nothing was run or sent")
	case m.HasCommands && !m.CommandsMayRun():
		return refuse("commands-refused", "commands run only in a reply to your own copy of a postdesk mail (its Reply-To address): nothing was run or sent")
	case m.HasCommands:
		if len(m.CommandErrors) > 0 {
			// Nothing runs and nothing is sent; the mail is kept as a note for the record.
			errs := append([]string(nil), m.CommandErrors...)
			return Verdict{Outcome: Refused, Event: "commands-rejected", Detail: strings.Join(errs, "; "), Notices: errs}
		}
		v.RunCommands = true
		switch {
		case (m.Note || m.Internal) && m.Body != "":
			v.Outcome = InternalNote
		case m.Note || m.Internal || m.Body == "":
			v.Outcome = CommandsOnly
		default:
			v.Outcome = Reply
		}
	case m.Scoped && m.Internal:
		v.Outcome = InternalNote
	case m.Scoped:
		v.Outcome = Reply
	case m.Direct && m.Unverified == "" && m.Body != "":
		// Not an answer to the agent's own copy: sent on only as the copy of a reply the customer
		// already has (they were in To or Cc).
		v.Outcome = ReplyDirect
	}
	if v.Outcome == Reply && m.Direct {
		v.Outcome = ReplyDirect
	}
	if v.Outcome == Reply && m.Body == "" {
		// Nothing written outside the quote: sending it on would send only our own mail.
		refused := refuse("empty-reply", "nothing was sent: write your answer above the quoted text")
		refused.RunCommands = v.RunCommands
		return refused
	}
	return v
}

// MaxRepliesByMailPerHour bounds the replies one agent's mail sends on a ticket in an hour.
const MaxRepliesByMailPerHour = 20

// Brake holds a reply when the agent's mail sent recent replies on the ticket in the last hour
// already: an auto-responder the classifier missed, answering its copies, must not talk to the
// customer without end.
func (v Verdict) Brake(recent int) Verdict {
	if v.Outcome != Reply || recent < MaxRepliesByMailPerHour {
		return v
	}
	held := refuse("reply-held", fmt.Sprintf("more than %d replies by mail to this ticket in an hour: kept, not sent", MaxRepliesByMailPerHour))
	held.RunCommands = v.RunCommands
	return held
}
