package tickets

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	ID         int64         `db:"id"`
	Number     int64         `db:"number"`
	Status     string        `db:"status"`
	ClosedAt   sql.NullTime  `db:"closed_at"`
	MergedInto sql.NullInt64 `db:"merged_into_ticket_id"` // by ID and number only
}

func (r lookupRow) ticket() threading.Ticket {
	t := threading.Ticket{ID: r.ID, Number: r.Number, Status: threading.Status(r.Status)}
	if r.ClosedAt.Valid {
		t.ClosedAt = r.ClosedAt.Time.UTC()
	}
	return t
}

// one runs a lookup of one ticket (trashed tickets are not threading targets: see its query).
// A merged ticket's evidence — a reply token naming it, its [#N] — is the evidence of the ticket
// it was merged into: the one place threading follows the pointer (Message-IDs moved with the
// messages, merge.go). A pointer is one hop; the target is looked up as any ticket is.
func (l txLookup) one(query string, arg any) (threading.Ticket, bool, error) {
	var rows []lookupRow
	if err := l.db.Select(l.ctx, l.tx, &rows, query, l.propertyID, arg); err != nil {
		return threading.Ticket{}, false, err
	}
	if len(rows) == 0 {
		return threading.Ticket{}, false, nil
	}
	if into := rows[0].MergedInto; into.Valid {
		rows = nil
		if err := l.db.Select(l.ctx, l.tx, &rows, l.qs.LookupTicketByID, l.propertyID, into.Int64); err != nil {
			return threading.Ticket{}, false, err
		}
		if len(rows) == 0 || rows[0].MergedInto.Valid {
			return threading.Ticket{}, false, nil
		}
	}
	return rows[0].ticket(), true, nil
}

func (l txLookup) TicketByID(id int64) (threading.Ticket, bool, error) {
	return l.one(l.qs.LookupTicketByID, id)
}

func (l txLookup) TicketByNumber(n int64) (threading.Ticket, bool, error) {
	return l.one(l.qs.LookupTicketByNumber, n)
}

// TicketsByMessageID finds each id as a stored Message-ID and as a ghost key; the stored one wins.
func (l txLookup) TicketsByMessageID(ids []string) (map[string]threading.Match, error) {
	if len(ids) > threading.MaxLookup+1 {
		ids = ids[:threading.MaxLookup+1]
	}
	keys := make([]string, 0, 2*len(ids))
	for _, id := range ids {
		keys = append(keys, id, ghostKey+id)
	}
	q, args, err := sqlx.In(l.qs.LookupTicketsByMessageIDIn, l.propertyID, keys)
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
		id, ghost := strings.CutPrefix(r.MessageID, ghostKey)
		if _, stored := out[id]; stored && ghost {
			continue
		}
		out[id] = threading.Match{Ticket: r.ticket(), AgentID: r.AgentID.Int64, Ghost: ghost}
	}
	return out, nil
}

func (l txLookup) BranchOf(ticketID int64, email string) (threading.Ticket, bool, error) {
	var rows []lookupRow
	if err := l.db.Select(l.ctx, l.tx, &rows, l.qs.LookupBranchOf, l.propertyID, ticketID, email); err != nil {
		return threading.Ticket{}, false, err
	}
	if len(rows) == 0 {
		return threading.Ticket{}, false, nil
	}
	return rows[0].ticket(), true, nil
}

// IsParticipant counts the property's agents as participants of every ticket.
func (l txLookup) IsParticipant(ticketID int64, email string) (bool, error) {
	var n int
	err := l.db.Get(l.ctx, l.tx, &n, l.qs.LookupIsParticipant,
		ticketID, email, l.propertyID, email)
	return n > 0, err
}

var _ threading.Lookup = txLookup{}

// ghostKey marks, in thread_ids, a Message-ID that the property's messages referenced but that it
// never stored (threading.GhostKeys). It lives beside a stored id of the same value, which wins, so
// a ghost never needs to be turned into a stored id; no Message-ID contains a space outside the
// obsolete quoted forms, so none reads as a ghost.
const ghostKey = "ghost "

// recordGhosts keeps the ids a message referenced as thread keys of the ticket it landed on.
func (s *Store) recordGhosts(ctx context.Context, tx *sqlx.Tx, propertyID, ticketID int64, in Inbound) error {
	for _, id := range threading.GhostKeys(threading.Message{MessageID: in.MessageID, InReplyTo: in.InReplyTo, References: in.References}) {
		if err := s.db.Exec(ctx, tx, s.qs.ThreadIDRecordGhost, propertyID, ghostKey+id, ticketID); err != nil {
			return fmt.Errorf("tickets: record referenced message-id: %w", err)
		}
	}
	return nil
}

// utc normalises a time read from either engine.
func utc(t time.Time) time.Time { return t.UTC() }
