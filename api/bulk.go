package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// maxBulk is how many tickets one bulk request may name.
const maxBulk = 100

var bulkActions = []string{"close", "reopen", "assign", "unassign", "priority", "tag", "untag", "snooze", "read", "unread", "trash", "restore", "spam", "unspam"}

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
	if !slices.Contains(bulkActions, b.Action) {
		return invalid("action", "action %q: one of %s", b.Action, strings.Join(bulkActions, ", "))
	}
	given := map[string]bool{"agent": b.Agent != "", "department": b.Department != "", "priority": b.Priority != "", "tags": len(b.Tags) > 0, "until": b.Until != ""}
	takes := map[string][]string{"assign": {"agent", "department"}, "priority": {"priority"}, "tag": {"tags"}, "untag": {"tags"}, "snooze": {"until"}}[b.Action]
	for f, ok := range given {
		if ok && !slices.Contains(takes, f) {
			return invalid(f, "%s does not go with action %s", f, b.Action)
		}
	}
	switch b.Action {
	case "assign":
		_, err := assignBody{Agent: b.Agent, Department: b.Department}.target()
		return err
	case "priority":
		return checkPriority(b.Priority)
	case "tag", "untag":
		if len(b.Tags) == 0 {
			return invalid("tags", "give the tags to %s", b.Action)
		}
	case "snooze":
		_, err := parseUntil(b.Until)
		return err
	}
	return nil
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
	ctx := r.Context()
	var until time.Time
	if b.Action == "snooze" {
		until, _ = parseUntil(b.Until)
	}
	results := make([]bulkResult, 0, len(b.Numbers))
	for _, n := range b.Numbers {
		var t tickets.Ticket
		var err error
		switch b.Action {
		case "close":
			t, err = s.store.Close(ctx, c.prop.ID, n, c.actor())
		case "reopen":
			t, err = s.store.Reopen(ctx, c.prop.ID, n, c.actor())
		case "assign":
			t, err = s.store.Assign(ctx, c.prop, n, c.agent, b.Agent+b.Department)
		case "unassign":
			t, err = s.store.Unassign(ctx, c.prop, n, c.agent)
		case "priority":
			t, err = s.store.SetPriority(ctx, c.prop, n, c.agent, b.Priority)
		case "tag":
			t, err = s.store.Retag(ctx, c.prop, n, c.agent, b.Tags, nil)
		case "untag":
			t, err = s.store.Retag(ctx, c.prop, n, c.agent, nil, b.Tags)
		case "snooze":
			t, err = s.store.Snooze(ctx, c.prop, n, c.agent, until)
		case "read":
			err = s.store.MarkRead(ctx, c.prop, n, c.agent)
		case "unread":
			err = s.store.MarkUnread(ctx, c.prop, n, c.agent)
		case "trash":
			t, err = s.store.Trash(ctx, c.prop, n, c.actor())
		case "restore":
			t, err = s.store.Restore(ctx, c.prop, n, c.actor())
		case "spam":
			t, err = s.store.MarkSpam(ctx, c.prop, n, c.actor())
		case "unspam":
			t, err = s.store.UnmarkSpam(ctx, c.prop, n, c.actor())
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
