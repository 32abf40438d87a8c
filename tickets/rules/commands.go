package rules

import (
	"strings"
	"time"
)

// Command is one command of an agent's mail, as read (mailcmd.Command, which this package cannot
// import: mailcmd takes its priorities from here).
type Command struct {
	Name  string // close, reopen, assign, priority, tag, untag, snooze, note, send, merge, reply
	Arg   string
	Until time.Time
}

// Step is what one command does to its ticket, decided before any command runs.
type Step struct {
	Op    Op
	Value string    // the status, priority, tag, or assignment target ("me" made the agent)
	Until time.Time // for OpSnooze
}

// Op is a change a command makes.
type Op int

const (
	OpNone     Op = iota // #note, or a command this version does not act on
	OpStatus             // close or reopen: Value is "closed" or "open"
	OpPriority           // Value is the priority as written
	OpTag
	OpUntag
	OpSnooze
	OpAssign // Value is an agent's email or a department's name
	OpSend   // send the agent's held reply on the ticket anyway
	OpMerge  // merge the ticket numbered Value into this one
	OpReply  // insert the saved reply named Value (its text filled in) in place of the line
)

// PlanCommand is what command c of agent agentEmail does.
func PlanCommand(c Command, agentEmail string) Step {
	switch c.Name {
	case "close":
		return Step{Op: OpStatus, Value: "closed"}
	case "reopen":
		return Step{Op: OpStatus, Value: "open"}
	case "priority":
		return Step{Op: OpPriority, Value: c.Arg}
	case "tag":
		return Step{Op: OpTag, Value: c.Arg}
	case "untag":
		return Step{Op: OpUntag, Value: c.Arg}
	case "snooze":
		return Step{Op: OpSnooze, Until: c.Until}
	case "send":
		return Step{Op: OpSend}
	case "merge":
		return Step{Op: OpMerge, Value: c.Arg}
	case "reply":
		return Step{Op: OpReply, Value: c.Arg}
	case "assign":
		if strings.EqualFold(c.Arg, "me") {
			return Step{Op: OpAssign, Value: agentEmail}
		}
		return Step{Op: OpAssign, Value: c.Arg}
	}
	return Step{}
}
