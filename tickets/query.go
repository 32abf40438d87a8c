package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// ListFilter selects tickets for the list view.
type ListFilter struct {
	Status  string // "open", "closed" or "" / "all"
	Waiting string // "" any; WaitingUs, WaitingCustomer
	Rating  string // "good", "okay", "bad", "none" or "": no filter (ratings.go)
	Sort    string // "updated" (default: most recently updated first) or "waiting" (the longest waiting first)
	Limit   int    // 0: no limit
}

// List returns a property's tickets, most recently updated first (or as f sorts them).
func (s *Store) List(ctx context.Context, propertyID int64, f ListFilter) ([]Ticket, error) {
	q := s.qs.TicketListBase
	args := []any{propertyID}
	switch f.Status {
	case "", "all":
	case StatusOpen, StatusClosed:
		q += ` AND t.status = ?`
		args = append(args, f.Status)
	default:
		return nil, fmt.Errorf("tickets: %w: status %q: open, closed or all", ErrInvalid, f.Status)
	}
	if err := CheckRatingFilter(f.Rating); err != nil {
		return nil, err
	}
	if cond, a := ratingCond(f.Rating); cond != "" { // ratings.go
		q += ` AND ` + cond
		args = append(args, a...)
	}
	switch f.Waiting {
	case "":
	case WaitingUs, WaitingCustomer:
		q += ` AND ` + waitingRank + ` = ?`
		args = append(args, waitingRankOf(&f.Waiting))
	default:
		return nil, fmt.Errorf("tickets: %w: waiting %q: %s or %s", ErrInvalid, f.Waiting, WaitingUs, WaitingCustomer)
	}
	switch f.Sort {
	case "", "updated":
		q += ` ORDER BY t.updated_at DESC, t.id DESC`
	case "waiting":
		keys := sortExprs["waiting"]
		if f.Waiting != "" {
			keys = keys[1:] // one side: one rank (see Search)
		}
		q += ` ORDER BY ` + orderBy(keys, "t.id", "ASC")
	default:
		return nil, fmt.Errorf("tickets: %w: sort %q: updated or waiting", ErrInvalid, f.Sort)
	}
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	ts := []Ticket{}
	if err := s.db.SelectContext(ctx, &ts, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tickets: list: %w", err)
	}
	if err := s.loadTags(ctx, s.db.DB, ts); err != nil {
		return nil, err
	}
	for i := range ts {
		ts[i].normalise()
	}
	return ts, nil
}

func (t *Ticket) normalise() {
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	for _, at := range []**time.Time{&t.ClosedAt, &t.WaitingSince, &t.FirstResponseAt} {
		if *at != nil {
			u := utc(**at)
			*at = &u
		}
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
}

func (s *Store) loadTags(ctx context.Context, q sqlx.QueryerContext, ts []Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ts))
	ids := make([]int64, len(ts))
	for i, t := range ts {
		idx[t.ID], ids[i] = i, t.ID
	}
	query, args, err := sqlx.In(s.qs.TicketTagsIn, ids)
	if err != nil {
		return fmt.Errorf("tickets: tags: %w", err)
	}
	var rows []struct {
		TicketID int64  `db:"ticket_id"`
		Tag      string `db:"tag"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(query), args...); err != nil {
		return fmt.Errorf("tickets: tags: %w", err)
	}
	for _, r := range rows {
		i := idx[r.TicketID]
		ts[i].Tags = append(ts[i].Tags, r.Tag)
	}
	return s.loadRatings(ctx, q, ts, idx) // ratings.go
}

// Ticket finds a property's ticket by number.
func (s *Store) Ticket(ctx context.Context, propertyID, number int64) (Ticket, error) {
	var ts []Ticket
	if err := s.db.Select(ctx, nil, &ts, s.qs.TicketByNumber, propertyID, number); err != nil {
		return Ticket{}, fmt.Errorf("tickets: ticket #%d: %w", number, err)
	}
	if len(ts) == 0 {
		return Ticket{}, s.notFound(ctx, nil, propertyID, number)
	}
	if err := s.loadTags(ctx, s.db.DB, ts); err != nil {
		return Ticket{}, err
	}
	ts[0].normalise()
	return ts[0], nil
}

// Detail returns a ticket — in the trash or not — with its messages (and attachment metadata),
// participants and events.
func (s *Store) Detail(ctx context.Context, propertyID, number int64) (TicketDetail, error) {
	ts, err := s.ticketAnyState(ctx, propertyID, number)
	if err != nil {
		return TicketDetail{}, err
	}
	t := ts.Ticket
	d := TicketDetail{Ticket: t, Spam: ts.Spam, DeletedAt: ts.DeletedAt, SnoozedUntil: ts.SnoozedUntil, MessageCount: t.Messages, Messages: []Message{}, Participants: []string{}, Events: []Event{}}
	if err := s.db.Select(ctx, nil, &d.Messages, s.qs.MessagesOfTicket, t.ID); err != nil {
		return TicketDetail{}, fmt.Errorf("tickets: messages of #%d: %w", number, err)
	}
	var atts []Attachment
	if err := s.db.Select(ctx, nil, &atts, s.qs.AttachmentsOfTicket, t.ID); err != nil {
		return TicketDetail{}, fmt.Errorf("tickets: attachments of #%d: %w", number, err)
	}
	byMsg := map[int64]int{}
	for i := range d.Messages {
		m := &d.Messages[i]
		byMsg[m.ID] = i
		m.CreatedAt = utc(m.CreatedAt)
		if m.Date != nil {
			u := utc(*m.Date)
			m.Date = &u
		}
		m.Attachments = []Attachment{}
	}
	for _, a := range atts {
		i := byMsg[a.MessageID]
		d.Messages[i].Attachments = append(d.Messages[i].Attachments, a)
	}
	if err := s.db.Select(ctx, nil, &d.Participants, s.qs.ParticipantsOfTicket, t.ID); err != nil {
		return TicketDetail{}, fmt.Errorf("tickets: participants of #%d: %w", number, err)
	}
	if err := s.db.Select(ctx, nil, &d.Events, s.qs.EventsOfTicket, t.ID); err != nil {
		return TicketDetail{}, fmt.Errorf("tickets: events of #%d: %w", number, err)
	}
	for i := range d.Events {
		d.Events[i].CreatedAt = utc(d.Events[i].CreatedAt)
	}
	if d.RatingDetail, err = s.ratingOf(ctx, nil, t.ID); err != nil { // ratings.go
		return TicketDetail{}, err
	}
	return d, nil
}

// Raw returns the verbatim bytes of a stored message of the property.
func (s *Store) Raw(ctx context.Context, propertyID, messageID int64) ([]byte, error) {
	var raw []byte
	err := s.db.Get(ctx, nil, &raw, s.qs.MessageRaw, propertyID, messageID)
	if db.IsNoRows(err) {
		return nil, fmt.Errorf("tickets: message %d: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("tickets: message %d: %w", messageID, err)
	}
	return raw, nil
}

// Close closes a ticket, from the command line (an agent's close is Apply's "close"). Closing a
// closed ticket changes nothing.
func (s *Store) Close(ctx context.Context, propertyID, number int64, actor Actor) (Ticket, error) {
	return s.setStatusOf(ctx, propertyID, number, actor, 0, StatusClosed)
}

// Reopen reopens a closed ticket. Reopening an open ticket changes nothing.
func (s *Store) Reopen(ctx context.Context, propertyID, number int64, actor Actor) (Ticket, error) {
	return s.setStatusOf(ctx, propertyID, number, actor, 0, StatusOpen)
}

// setStatusOf sets a ticket's status as agent by (0: none) and tells the hooks of a close.
func (s *Store) setStatusOf(ctx context.Context, propertyID, number int64, actor Actor, by int64, status string) (Ticket, error) {
	return s.onTicketOf(ctx, propertyID, number, func(tx *sqlx.Tx, id int64) error {
		p, err := s.propertyIn(ctx, tx, propertyID)
		if err != nil {
			return err
		}
		c, err := s.setStatus(ctx, tx, p, id, actor, by, status)
		if err != nil || c == nil {
			return err
		}
		return s.runHooks(ctx, tx, *c)
	})
}

// PropertyTags lists the tags in use on a property's tickets (at most 1000), in order.
func (s *Store) PropertyTags(ctx context.Context, propertyID int64) ([]string, error) {
	var ts []string
	if err := s.db.Select(ctx, nil, &ts, s.qs.PropertyTags, propertyID); err != nil {
		return nil, fmt.Errorf("tickets: tags: %w", err)
	}
	return ts, nil
}
