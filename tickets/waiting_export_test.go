package tickets

import (
	"context"
	"fmt"
	"strings"
)

// What the tests of package tickets_test need of the waiting rule.

// WaitingRule is the statement of the rule (ticket-settle-waiting), as run on s's engine.
func WaitingRule(s *Store) string { return s.qs.TicketSettleWaiting }

// ResettleAll runs the rule over every ticket, as migration 0021 does, and returns how many
// tickets it changed: 0 when every change settled its ticket as it should.
func ResettleAll(ctx context.Context, s *Store) (int64, error) {
	all := strings.Replace(s.qs.TicketSettleWaiting, "\tWHERE t.id = ?\n", "", 1)
	if all == s.qs.TicketSettleWaiting {
		return 0, fmt.Errorf("the rule has no WHERE t.id = ? line to drop")
	}
	res, err := s.db.DB.ExecContext(ctx, all)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SettleWaiting runs the rule over one ticket, in a transaction of its own.
func SettleWaiting(ctx context.Context, s *Store, ticketID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after the commit, a no-op
	if err := s.settleWaiting(ctx, tx, ticketID); err != nil {
		return err
	}
	return tx.Commit()
}
