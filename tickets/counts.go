package tickets

import (
	"context"
	"fmt"
	"strings"
)

// ViewCounts is how many tickets each inbox view holds, by view name (Views).
type ViewCounts map[string]int

// A bucket is a combination of the columns the views look at, and how many of a property's
// tickets have it: a row of ticket_counts, which triggers on tickets keep in every transaction that
// changes a ticket (db/migrations/0012_counts.*).
type bucket struct {
	Overdue       bool   `db:"overdue"`
	Status        string `db:"status"`
	Assignee      int64  `db:"assignee_agent_id"` // 0: none
	HasDepartment bool   `db:"has_department"`
	Spam          bool   `db:"spam"`
	Deleted       bool   `db:"deleted"`
	Snoozed       bool   `db:"snoozed"` // snoozed_until is set, passed or not
	N             int    `db:"n"`
}

// inView says whether the tickets of bucket b are in view for agent viewerID, when b.Snoozed means
// snoozed_until is still to come: viewWhere's rules over the bucket's columns. The two must say the
// same; TestCountViewsEveryBucket checks it over every bucket, against the lists.
func inView(view string, b bucket, viewerID int64) bool {
	visible := !b.Deleted && !b.Spam && !b.Snoozed
	switch view {
	case "all":
		return visible
	case "mine":
		return visible && b.Assignee == viewerID && b.Status == StatusOpen
	case "unassigned":
		return visible && b.Assignee == 0 && !b.HasDepartment && b.Status == StatusOpen
	case "closed":
		return visible && b.Status == StatusClosed
	case "snoozed":
		return !b.Deleted && !b.Spam && b.Snoozed
	case "trash":
		return b.Deleted
	case "spam":
		return !b.Deleted && b.Spam
	}
	return false
}

// CountViews counts the tickets of every view for agent viewerID. It reads the property's buckets,
// not its tickets, and then the few tickets whose snooze is over but that the wake-up has not woken
// yet (viewWhere shows them; their bucket says snoozed), in one statement: a count is its list's
// length at the instant of the statement.
func (s *Store) CountViews(ctx context.Context, propertyID, viewerID int64) (ViewCounts, error) {
	if viewerID <= 0 {
		return nil, invalid("view", "mine needs an agent")
	}
	var rows []bucket
	if err := s.db.Select(ctx, nil, &rows, s.qs.ViewBuckets, propertyID, s.Now(), propertyID); err != nil {
		return nil, fmt.Errorf("tickets: count views: %w", err)
	}
	type key struct {
		status                          string
		assignee                        int64
		department, spam, deleted, snzd bool
	}
	sums := map[key]int{}
	for _, r := range rows {
		k := key{r.Status, r.Assignee, r.HasDepartment, r.Spam, r.Deleted, r.Snoozed}
		if r.Overdue { // counted as snoozed by its bucket; shown as not snoozed
			sums[k] -= r.N
			k.snzd = false
		}
		sums[k] += r.N
	}
	out := ViewCounts{}
	for _, v := range Views {
		out[v] = 0
	}
	for k, n := range sums {
		b := bucket{Status: k.status, Assignee: k.assignee, HasDepartment: k.department, Spam: k.spam, Deleted: k.deleted, Snoozed: k.snzd}
		for _, v := range Views {
			if inView(v, b, viewerID) {
				out[v] += n
			}
		}
	}
	return out, nil
}

// countViewsScan is CountViews the old way, in one pass over the property's tickets with
// viewWhere's conditions: the oracle of the tests and the benchmark's baseline.
func (s *Store) countViewsScan(ctx context.Context, propertyID, viewerID int64) (ViewCounts, error) {
	now := s.Now()
	var cols []string
	var args []any
	for _, v := range Views {
		var w where
		if err := s.viewWhere(&w, v, viewerID, now); err != nil {
			return nil, err
		}
		cols = append(cols, fmt.Sprintf("COALESCE(SUM(CASE WHEN %s THEN 1 ELSE 0 END), 0)", strings.Join(w.conds, " AND ")))
		args = append(args, w.args...)
	}
	args = append(args, propertyID)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM tickets t WHERE t.property_id = ?"
	row := s.db.QueryRowxContext(ctx, s.db.Rebind(q), args...)
	vals := make([]int, len(Views))
	ptrs := make([]any, len(Views))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := row.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("tickets: count views: %w", err)
	}
	out := ViewCounts{}
	for i, v := range Views {
		out[v] = vals[i]
	}
	return out, nil
}
