package tickets

import (
	"context"
	"fmt"
	"strings"
)

// ViewCounts is how many tickets each inbox view holds, by view name (Views).
type ViewCounts map[string]int

// CountViews counts the tickets of every view for agent viewerID, in one pass over the
// property's tickets; each view's conditions are viewWhere's, so a count and its list agree.
func (s *Store) CountViews(ctx context.Context, propertyID, viewerID int64) (ViewCounts, error) {
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
