package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

const maxBulk = tickets.MaxBulk

// actionPurge deletes tickets in the trash for good, as DELETE …/tickets/{number}/purge does one:
// the API's bulk action beyond tickets.Actions (the web asks first, on a page of its own), for
// managers and above.
const actionPurge = "purge"

type bulkBody struct {
	Numbers    []int64  `json:"numbers"`
	Action     string   `json:"action"`
	Agent      string   `json:"agent"`      // assign
	Department string   `json:"department"` // assign
	Priority   string   `json:"priority"`   // priority
	Tags       []string `json:"tags"`       // tag, untag
	Until      string   `json:"until"`      // snooze
}

// bulkResult is what became of one ticket.
type bulkResult struct {
	Number int64           `json:"number"`
	OK     bool            `json:"ok"`
	Ticket *tickets.Ticket `json:"ticket,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// check validates the request as a whole before any ticket is touched: the action, its own
// parameters, and no parameter of another action.
func (b bulkBody) check() error {
	if len(b.Numbers) == 0 || len(b.Numbers) > maxBulk {
		return invalid("numbers", "give 1 to at most %d ticket numbers, not %d", maxBulk, len(b.Numbers))
	}
	for _, n := range b.Numbers {
		if n <= 0 {
			return invalid("numbers", "%d is not a ticket number", n)
		}
	}
	if !slices.Contains(tickets.Actions, b.Action) && b.Action != actionPurge {
		return invalid("action", "action %q: one of %s, %s", b.Action, strings.Join(tickets.Actions, ", "), actionPurge)
	}
	given := map[string]bool{"agent": b.Agent != "", "department": b.Department != "", "priority": b.Priority != "", "tags": len(b.Tags) > 0, "until": b.Until != ""}
	takes := map[string][]string{"assign": {"agent", "department"}, "priority": {"priority"}, "tag": {"tags"}, "untag": {"tags"}, "snooze": {"until"}}[b.Action]
	for f, ok := range given {
		if ok && !slices.Contains(takes, f) {
			return invalid(f, "%s does not go with action %s", f, b.Action)
		}
	}
	if b.Action == actionPurge {
		return nil // takes nothing
	}
	if b.Action == "snooze" {
		if _, err := parseUntil(b.Until); err != nil {
			return err
		}
	}
	return b.op().Check()
}

// op is the action as the store takes it (the time of a snooze already checked).
func (b bulkBody) op() tickets.Op {
	until, _ := parseUntil(b.Until)
	return tickets.Op{Action: b.Action, Agent: b.Agent, Department: b.Department, Priority: b.Priority, Tags: b.Tags, Until: until}
}

// bulk runs one action on many tickets, each on its own: one ticket's failure (not found, say)
// leaves the others done, and the answer says what became of each, in the order asked.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, c *call) error {
	var b bulkBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return err
	}
	if b.Action == actionPurge && rank(c.agent.Role) < rank("manager") {
		return apiErr(http.StatusForbidden, codeForbidden, "action", "you are %s: purging takes a manager, admin or owner", c.agent.Role)
	}
	ctx, op := r.Context(), b.op()
	results := make([]bulkResult, 0, len(b.Numbers))
	for _, n := range b.Numbers {
		var t tickets.Ticket
		var err error
		if b.Action == actionPurge {
			// Only from the trash; a ticket outside it is a conflict, as when purging one.
			if err = s.store.Purge(ctx, c.prop, n, c.actor()); errors.Is(err, tickets.ErrInvalid) {
				err = apiErr(http.StatusConflict, codeConflict, "", "%s", storeMessage(err))
			}
		} else {
			t, err = s.store.Apply(ctx, c.prop, c.agent, n, op)
		}
		res := bulkResult{Number: n, OK: err == nil}
		switch {
		case err != nil:
			res.Error = s.toLoggedError(r, err)
		case t.Number != 0:
			res.Ticket = &t
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
	return nil
}
