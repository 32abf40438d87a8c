package tickets

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/threading"
)

// txLookup answers threading's questions inside a delivery's transaction, scoped to one property:
// no evidence can ever lead across properties.
type txLookup struct {
	ctx        context.Context
	db         *db.DB
	qs         *queries
	tx         *sqlx.Tx
	propertyID int64
}

type lookupRow struct {
	ID       int64        `db:"id"`
	Number   int64        `db:"number"`
	Status   string       `db:"status"`
	ClosedAt sql.NullTime `db:"closed_at"`
}

func (r lookupRow) ticket() threading.Ticket {
	t := threading.Ticket{ID: r.ID, Number: r.Number, Status: threading.Status(r.Status)}
	if r.ClosedAt.Valid {
		t.ClosedAt = r.ClosedAt.Time.UTC()
	}
	return t
}

// one runs a lookup of one ticket (trashed tickets are not threading targets: see its query).
func (l txLookup) one(query string, arg any) (threading.Ticket, bool, error) {
	var rows []lookupRow
	if err := l.db.Select(l.ctx, l.tx, &rows, query, l.propertyID, arg); err != nil {
		return threading.Ticket{}, false, err
	}
	if len(rows) == 0 {
		return threading.Ticket{}, false, nil
	}
	return rows[0].ticket(), true, nil
}

func (l txLookup) TicketByID(id int64) (threading.Ticket, bool, error) {
	return l.one(l.qs.LookupTicketByID, id)
}

func (l txLookup) TicketByNumber(n int64) (threading.Ticket, bool, error) {
	return l.one(l.qs.LookupTicketByNumber, n)
}

func (l txLookup) TicketsByMessageID(ids []string) (map[string]threading.Match, error) {
	if len(ids) > 100 {
		ids = ids[:100]
	}
	q, args, err := sqlx.In(l.qs.LookupTicketsByMessageIDIn, l.propertyID, ids)
	if err != nil {
		return nil, fmt.Errorf("build message-id query: %w", err)
	}
	var rows []struct {
		MessageID string        `db:"message_id"`
		AgentID   sql.NullInt64 `db:"agent_id"`
		lookupRow
	}
	if err := l.tx.SelectContext(l.ctx, &rows, l.tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	out := make(map[string]threading.Match, len(rows))
	for _, r := range rows {
		out[r.MessageID] = threading.Match{Ticket: r.ticket(), AgentID: r.AgentID.Int64}
	}
	return out, nil
}

// IsParticipant counts the property's agents as participants of every ticket.
func (l txLookup) IsParticipant(ticketID int64, email string) (bool, error) {
	var n int
	err := l.db.Get(l.ctx, l.tx, &n, l.qs.LookupIsParticipant,
		ticketID, email, l.propertyID, email)
	return n > 0, err
}

var _ threading.Lookup = txLookup{}

// utc normalises a time read from either engine.
func utc(t time.Time) time.Time { return t.UTC() }
