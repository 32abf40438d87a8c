package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// MaxExport is how many tickets one export may hold.
const MaxExport = 100

// MaxMailedExport is the largest export mailed: 15 MiB of JSON, about 20 MiB as an attachment,
// which most relays still take; a larger one is downloaded.
const MaxMailedExport = 15 << 20

// Export is a self-contained record of some of a property's tickets.
type Export struct {
	Property   string         `json:"property"`
	ExportedAt time.Time      `json:"exported_at"`
	Tickets    []ExportTicket `json:"tickets"`
}

// ExportTicket is a ticket with everything it holds but the bytes of its mail and attachments.
// Its "messages" is the list of messages (the count is "message_count"), as in TicketDetail.
type ExportTicket struct {
	Ticket
	MessageCount int64           `json:"message_count"`
	Spam         bool            `json:"spam"`
	DeletedAt    *time.Time      `json:"deleted_at"` // in the trash since, or null
	Participants []string        `json:"participants"`
	Messages     []ExportMessage `json:"messages"`
	Events       []Event         `json:"events"`
}

// ExportMessage is a message with its headers, its text in full and trimmed (without quoted
// history and signature), why it joined its ticket, and its attachments' metadata.
type ExportMessage struct {
	ID          int64        `db:"id" json:"id"`
	TicketID    int64        `db:"ticket_id" json:"-"`
	Direction   string       `db:"direction" json:"direction"`
	Kind        string       `db:"kind" json:"kind"`
	FromName    string       `db:"from_name" json:"from_name"`
	From        string       `db:"from_email" json:"from"`
	To          string       `db:"to_list" json:"to"`
	Cc          string       `db:"cc_list" json:"cc"`
	Subject     string       `db:"subject" json:"subject"`
	MessageID   string       `db:"message_id" json:"message_id"`
	InReplyTo   string       `db:"in_reply_to" json:"in_reply_to"`
	References  string       `db:"refs" json:"references"`
	Date        *time.Time   `db:"date_header" json:"date"`
	Trimmed     string       `db:"trimmed_text" json:"trimmed"`
	Text        string       `db:"text_body" json:"text"`
	Threading   string       `db:"threading" json:"threading"`
	Problems    string       `db:"problems" json:"problems,omitempty"`
	RawSize     int64        `db:"raw_size" json:"raw_size"`
	CreatedAt   time.Time    `db:"created_at" json:"created_at"`
	Attachments []Attachment `db:"-" json:"attachments"` // metadata only: Data is never read
}

// Export returns 1 to MaxExport tickets of a property (in the trash or not), in the order asked,
// each once. A number the property does not have is ErrNotFound, naming it.
func (s *Store) Export(ctx context.Context, p Property, numbers []int64) (Export, error) {
	if len(numbers) == 0 || len(numbers) > MaxExport {
		return Export{}, fmt.Errorf("tickets: %w: export 1 to at most %d tickets at a time, not %d", ErrInvalid, MaxExport, len(numbers))
	}
	var uniq []int64
	seen := map[int64]bool{}
	for _, n := range numbers {
		if !seen[n] {
			seen[n] = true
			uniq = append(uniq, n)
		}
	}
	now := s.Now()
	q, args, err := sqlx.In(s.qs.ExportTicketsIn, p.ID, uniq)
	if err != nil {
		return Export{}, fmt.Errorf("tickets: export: %w", err)
	}
	var rows []ticketWithState
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return Export{}, fmt.Errorf("tickets: export: %w", err)
	}
	byNumber := make(map[int64]ticketWithState, len(rows))
	for _, r := range rows {
		byNumber[r.Number] = r
	}
	for _, n := range uniq {
		if _, ok := byNumber[n]; !ok {
			return Export{}, fmt.Errorf("tickets: export: ticket #%d: %w", n, ErrNotFound)
		}
	}
	plain := make([]Ticket, len(uniq))
	ids := make([]int64, len(uniq))
	for i, n := range uniq {
		plain[i], ids[i] = byNumber[n].Ticket, byNumber[n].ID
	}
	if err := s.loadTags(ctx, s.db.DB, plain); err != nil {
		return Export{}, err
	}
	msgs, err := s.messagesOf(ctx, ids)
	if err != nil {
		return Export{}, err
	}
	events, err := s.eventsOf(ctx, ids)
	if err != nil {
		return Export{}, err
	}
	parts, err := s.participantsOf(ctx, ids)
	if err != nil {
		return Export{}, err
	}
	out := Export{Property: p.Slug, ExportedAt: now, Tickets: make([]ExportTicket, len(uniq))}
	for i, n := range uniq {
		r := byNumber[n]
		r.Ticket = plain[i]
		r.normalise()
		et := ExportTicket{Ticket: r.Ticket, MessageCount: r.Messages, Spam: r.Spam, DeletedAt: r.DeletedAt,
			Participants: parts[r.ID], Messages: msgs[r.ID], Events: events[r.ID]}
		if et.Participants == nil {
			et.Participants = []string{}
		}
		if et.Messages == nil {
			et.Messages = []ExportMessage{}
		}
		if et.Events == nil {
			et.Events = []Event{}
		}
		out.Tickets[i] = et
	}
	return out, nil
}

// messagesOf reads the messages of tickets, oldest first, with their attachments' metadata, by
// ticket ID.
func (s *Store) messagesOf(ctx context.Context, ticketIDs []int64) (map[int64][]ExportMessage, error) {
	out := map[int64][]ExportMessage{}
	if len(ticketIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(s.qs.ExportMessagesIn, ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("tickets: messages: %w", err)
	}
	var ms []ExportMessage
	if err := s.db.SelectContext(ctx, &ms, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tickets: messages: %w", err)
	}
	q, args, err = sqlx.In(s.qs.ExportAttachmentsIn, ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("tickets: attachments: %w", err)
	}
	var atts []Attachment
	if err := s.db.SelectContext(ctx, &atts, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tickets: attachments: %w", err)
	}
	byMsg := map[int64][]Attachment{}
	for _, a := range atts {
		byMsg[a.MessageID] = append(byMsg[a.MessageID], a)
	}
	for _, m := range ms {
		m.CreatedAt = utc(m.CreatedAt)
		if m.Date != nil {
			d := utc(*m.Date)
			m.Date = &d
		}
		m.Attachments = byMsg[m.ID]
		if m.Attachments == nil {
			m.Attachments = []Attachment{}
		}
		out[m.TicketID] = append(out[m.TicketID], m)
	}
	return out, nil
}

// eventsOf reads the logs of tickets, by ticket ID.
func (s *Store) eventsOf(ctx context.Context, ticketIDs []int64) (map[int64][]Event, error) {
	q, args, err := sqlx.In(s.qs.EventsIn, ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("tickets: events: %w", err)
	}
	var rows []struct {
		TicketID int64 `db:"ticket_id"`
		Event
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tickets: events: %w", err)
	}
	out := map[int64][]Event{}
	for _, r := range rows {
		r.CreatedAt = utc(r.CreatedAt)
		out[r.TicketID] = append(out[r.TicketID], r.Event)
	}
	return out, nil
}

// participantsOf reads who takes part in tickets, by ticket ID.
func (s *Store) participantsOf(ctx context.Context, ticketIDs []int64) (map[int64][]string, error) {
	q, args, err := sqlx.In(s.qs.ExportParticipantsIn, ticketIDs)
	if err != nil {
		return nil, fmt.Errorf("tickets: participants: %w", err)
	}
	var rows []struct {
		TicketID int64  `db:"ticket_id"`
		Email    string `db:"email"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tickets: participants: %w", err)
	}
	out := map[int64][]string{}
	for _, r := range rows {
		out[r.TicketID] = append(out[r.TicketID], r.Email)
	}
	return out, nil
}
