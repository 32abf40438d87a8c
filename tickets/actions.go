package tickets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Actions an agent can take on tickets in bulk (the API's bulk endpoint, the web inbox's
// selection).
var Actions = []string{"close", "reopen", "assign", "unassign", "priority", "tag", "untag", "snooze", "read", "unread", "trash", "restore", "spam", "unspam"}

// MaxBulk is how many tickets one bulk action may name.
const MaxBulk = 100

// Op is one action with its arguments.
type Op struct {
	Action     string
	Agent      string    // assign: an agent's email
	Department string    // assign: a department's name
	Priority   string    // priority
	Tags       []string  // tag, untag
	Until      time.Time // snooze
}

// Check validates an action before any ticket is touched: the action and its own arguments.
func (o Op) Check() error {
	if !slices.Contains(Actions, o.Action) {
		return paramErr("action", "action %q: one of %s", o.Action, strings.Join(Actions, ", "))
	}
	switch o.Action {
	case "assign":
		_, err := AssignTarget(o.Agent, o.Department)
		return err
	case "priority":
		return CheckPriority(o.Priority)
	case "tag", "untag":
		if len(o.Tags) == 0 {
			return paramErr("tags", "give the tags to %s", o.Action)
		}
	case "snooze":
		if o.Until.IsZero() {
			return paramErr("until", "give the time the snooze ends")
		}
	}
	return nil
}

// Apply runs a checked action on one ticket of p, as agent a. Read and unread answer with a
// zero Ticket. An agent's own change does not make a ticket they had read unread for them.
func (s *Store) Apply(ctx context.Context, p Property, a Agent, number int64, o Op) (Ticket, error) {
	if o.Action == "read" || o.Action == "unread" {
		return s.apply(ctx, p, a, number, o)
	}
	read, err := s.ReadBy(ctx, p, number, a)
	if err != nil {
		return Ticket{}, err
	}
	t, err := s.apply(ctx, p, a, number, o)
	if err == nil && read && o.Action != "trash" {
		// Read as the action left it: a change by someone else since is still unread.
		err = s.MarkReadAt(ctx, p, number, a, t.UpdatedAt)
	}
	return t, err
}

// ReadBy tells whether agent a has read the ticket as it is now.
func (s *Store) ReadBy(ctx context.Context, p Property, number int64, a Agent) (bool, error) {
	var read []int
	if err := s.db.Select(ctx, nil, &read, s.qs.TicketReadBy, a.ID, p.ID, number); err != nil {
		return false, fmt.Errorf("tickets: read state of #%d: %w", number, err)
	}
	return len(read) == 1 && read[0] == 1, nil
}

func (s *Store) apply(ctx context.Context, p Property, a Agent, number int64, o Op) (Ticket, error) {
	actor := AgentActor(a)
	switch o.Action {
	case "close":
		return s.setStatusOf(ctx, p.ID, number, actor, a.ID, StatusClosed)
	case "reopen":
		return s.setStatusOf(ctx, p.ID, number, actor, a.ID, StatusOpen)
	case "assign":
		target, err := AssignTarget(o.Agent, o.Department)
		if err != nil {
			return Ticket{}, err
		}
		return s.Assign(ctx, p, number, a, target)
	case "unassign":
		return s.Unassign(ctx, p, number, a)
	case "priority":
		return s.SetPriority(ctx, p, number, a, o.Priority)
	case "tag":
		return s.Retag(ctx, p, number, a, o.Tags, nil)
	case "untag":
		return s.Retag(ctx, p, number, a, nil, o.Tags)
	case "snooze":
		return s.Snooze(ctx, p, number, a, o.Until)
	case "read":
		return Ticket{}, s.MarkRead(ctx, p, number, a)
	case "unread":
		return Ticket{}, s.MarkUnread(ctx, p, number, a)
	case "trash":
		return s.Trash(ctx, p, number, actor)
	case "restore":
		return s.Restore(ctx, p, number, actor)
	case "spam":
		return s.MarkSpam(ctx, p, number, actor)
	case "unspam":
		return s.UnmarkSpam(ctx, p, number, actor)
	}
	return Ticket{}, o.Check()
}
