package tickets

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ContactSummary is a contact as the contact list shows it.
type ContactSummary struct {
	Contact
	Tickets  int64      `json:"tickets"`   // their tickets, not counting the trash
	LastSeen *time.Time `json:"last_seen"` // their latest message on their tickets, or null
	Spam     bool       `json:"spam"`      // their mail goes to spam
}

// ContactHistory is a contact with every ticket of theirs outside the trash, newest first.
type ContactHistory struct {
	Contact ContactSummary  `json:"contact"`
	Tickets []HistoryTicket `json:"tickets"`
}

// HistoryTicket is a ticket with its messages, oldest first. Its "messages" is the list of
// messages (the count is "message_count"), as in TicketDetail.
type HistoryTicket struct {
	Ticket
	MessageCount int64           `json:"message_count"`
	Spam         bool            `json:"spam"`
	Messages     []ExportMessage `json:"messages"`
}

// BlockResult says what blocking an address removed for good.
type BlockResult struct {
	Messages int64 `json:"messages"`
	Tickets  int64 `json:"tickets"`
}

// DefaultContactsLimit and MaxContactsLimit bound a page of the contact list.
const (
	DefaultContactsLimit = 50
	MaxContactsLimit     = 500
)

// contactRow is a contact summary as read: SQLite returns an aggregate of timestamps as text.
type contactRow struct {
	ID       int64   `db:"id"`
	Email    string  `db:"email"`
	Name     string  `db:"name"`
	Bouncing bool    `db:"bouncing"`
	Blocked  bool    `db:"blocked"`
	Spam     bool    `db:"spam"`
	Tickets  int64   `db:"tickets"`
	LastSeen anyTime `db:"last_seen"`
}

func (r contactRow) summary() ContactSummary {
	return ContactSummary{
		Contact: Contact{ID: r.ID, Email: r.Email, Name: r.Name, Bouncing: r.Bouncing, Blocked: r.Blocked},
		Tickets: r.Tickets, LastSeen: r.LastSeen.ptr(), Spam: r.Spam,
	}
}

// likeEscape makes s a LIKE pattern that matches itself anywhere, lowercased: %, _ and the escape
// character are literal (with ESCAPE '\', understood alike by SQLite and PostgreSQL).
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// Contacts lists a property's contacts by email, those whose email or name contains search
// (case-insensitively; "" lists all), limit at a time (0: DefaultContactsLimit). after is the
// cursor: "" for the first page, then the next cursor returned, which is "" after the last page.
func (s *Store) Contacts(ctx context.Context, p Property, search string, limit int, after string) ([]ContactSummary, string, error) {
	if limit <= 0 {
		limit = DefaultContactsLimit
	}
	if limit > MaxContactsLimit {
		limit = MaxContactsLimit
	}
	q := s.qs.ContactSummaries
	args := []any{p.ID}
	if search = strings.TrimSpace(search); search != "" {
		pat := likeEscape(search)
		q += ` AND (LOWER(c.email) LIKE ? ESCAPE '\' OR LOWER(c.name) LIKE ? ESCAPE '\')`
		args = append(args, pat, pat)
	}
	if after != "" {
		q += ` AND c.email > ?`
		args = append(args, after)
	}
	q += ` ORDER BY c.email LIMIT ?`
	args = append(args, limit+1)
	var rows []contactRow
	if err := s.db.Select(ctx, nil, &rows, q, args...); err != nil {
		return nil, "", fmt.Errorf("tickets: contacts: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].Email
	}
	out := make([]ContactSummary, len(rows))
	for i, r := range rows {
		out[i] = r.summary()
	}
	return out, next, nil
}

// contactSummary reads one contact of a property.
func (s *Store) contactSummary(ctx context.Context, propertyID int64, email string) (ContactSummary, error) {
	var rows []contactRow
	if err := s.db.Select(ctx, nil, &rows, s.qs.ContactSummaryByEmail, propertyID, normEmail(email)); err != nil {
		return ContactSummary{}, fmt.Errorf("tickets: contact %q: %w", email, err)
	}
	if len(rows) == 0 {
		return ContactSummary{}, fmt.Errorf("tickets: contact %q: %w", email, ErrNotFound)
	}
	return rows[0].summary(), nil
}

// ContactHistory returns a contact of the property with all their tickets (open and closed, not
// those in the trash), newest first, each with its messages.
func (s *Store) ContactHistory(ctx context.Context, p Property, email string) (ContactHistory, error) {
	c, err := s.contactSummary(ctx, p.ID, email)
	if err != nil {
		return ContactHistory{}, err
	}
	var rows []ticketWithState
	if err := s.db.Select(ctx, nil, &rows, s.qs.TicketsOfContact, p.ID, c.ID, c.Email); err != nil {
		return ContactHistory{}, fmt.Errorf("tickets: history of %q: %w", email, err)
	}
	h := ContactHistory{Contact: c, Tickets: make([]HistoryTicket, len(rows))}
	if len(rows) == 0 {
		return h, nil
	}
	plain := make([]Ticket, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		plain[i], ids[i] = r.Ticket, r.ID
	}
	if err := s.loadTags(ctx, s.db.DB, plain); err != nil {
		return ContactHistory{}, err
	}
	msgs, err := s.messagesOf(ctx, ids)
	if err != nil {
		return ContactHistory{}, err
	}
	for i, r := range rows {
		r.Ticket = plain[i]
		r.normalise()
		ht := HistoryTicket{Ticket: r.Ticket, MessageCount: r.Messages, Spam: r.Spam, Messages: msgs[r.ID]}
		if ht.Messages == nil {
			ht.Messages = []ExportMessage{}
		}
		h.Tickets[i] = ht
	}
	return h, nil
}

// Block blocks an address for a property: every message from it (by contact or by From address)
// is removed from the property's tickets for good, with its attachments; tickets left without a
// message are deleted for good (as Purge does); queued mail to the address alone is dropped. An
// address without a contact yet becomes a blocked contact. An agent of the property, and the
// property's own addresses (domain is the forwarding domain: see rules.Addresses), cannot be
// blocked.
func (s *Store) Block(ctx context.Context, p Property, domain, email string, actor Actor) (BlockResult, error) {
	email = normEmail(email)
	if !ValidEmail(email) {
		return BlockResult{}, fmt.Errorf("tickets: %w: %q is not an email address", ErrInvalid, email)
	}
	if p.Addresses(domain).Own(email) {
		return BlockResult{}, fmt.Errorf("tickets: %w: %s is this property's own address and cannot be blocked", ErrInvalid, email)
	}
	if _, err := s.AgentByEmail(ctx, p.ID, email); err == nil {
		return BlockResult{}, fmt.Errorf("tickets: %w: %s is an agent of this property and cannot be blocked", ErrInvalid, email)
	} else if !errors.Is(err, ErrNotFound) {
		return BlockResult{}, err
	}
	var res BlockResult
	err := s.db.TxRetry(ctx, func(tx *sqlx.Tx) error {
		res = BlockResult{}
		now := s.Now()
		var contactID int64
		if err := s.db.Get(ctx, tx, &contactID, s.qs.BlockContact, p.ID, email, true, now); err != nil {
			return fmt.Errorf("tickets: block %s: %w", email, err)
		}
		var hits []struct {
			TicketID int64 `db:"ticket_id"`
			N        int64 `db:"n"`
		}
		if err := s.db.Select(ctx, tx, &hits, s.qs.BlockMessageCounts, p.ID, contactID, email); err != nil {
			return fmt.Errorf("tickets: block %s: find messages: %w", email, err)
		}
		steps := []struct {
			what, query string
			args        []any
		}{
			{"message-ids", s.qs.BlockThreadIDs, []any{p.ID, contactID, email, contactID, email}},
			{"attachments", s.qs.BlockAttachments, []any{p.ID, contactID, email}},
			{"messages", s.qs.BlockMessages, []any{p.ID, contactID, email}},
		}
		for _, st := range steps {
			if err := s.db.Exec(ctx, tx, st.query, st.args...); err != nil {
				return fmt.Errorf("tickets: block %s: %s: %w", email, st.what, err)
			}
		}
		if err := s.db.Exec(ctx, tx, s.qs.BlockQueuedMail, p.ID, email); err != nil {
			return fmt.Errorf("tickets: block %s: queued mail: %w", email, err)
		}
		for _, h := range hits {
			res.Messages += h.N
			var t struct {
				Number int64 `db:"number"`
				Left   int64 `db:"left_count"`
			}
			if err := s.db.Get(ctx, tx, &t, s.qs.TicketBlockState, h.TicketID, p.ID); err != nil {
				return fmt.Errorf("tickets: block %s: ticket: %w", email, err)
			}
			if t.Left == 0 {
				if err := s.purgeTicket(ctx, tx, p, h.TicketID, t.Number, actor, now); err != nil {
					return err
				}
				res.Tickets++
				continue
			}
			if err := s.db.Exec(ctx, tx, s.qs.TicketSetMessageCount, t.Left, h.TicketID); err != nil {
				return fmt.Errorf("tickets: block %s: recount #%d: %w", email, t.Number, err)
			}
			// The blocked address's messages are gone: they are nobody's to answer.
			if err := s.settleWaiting(ctx, tx, h.TicketID); err != nil {
				return err
			}
			if err := s.addEvent(ctx, tx, h.TicketID, "messages-removed",
				actor, fmt.Sprintf("%d message(s) from %s deleted for good: the address is blocked", h.N, email), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return BlockResult{}, err
	}
	s.log.Info("address blocked", "property", p.Slug, "email", email, "actor", actor, "messages", res.Messages, "tickets", res.Tickets)
	return res, nil
}

// Unblock lets mail from a blocked contact of the property in again. What Block removed stays
// removed.
func (s *Store) Unblock(ctx context.Context, p Property, email string, actor Actor) error {
	email = normEmail(email)
	var ids []int64
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Select(ctx, tx, &ids, s.qs.ContactUnblock, false, p.ID, email)
	})
	if err != nil {
		return fmt.Errorf("tickets: unblock %s: %w", email, err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("tickets: contact %q: %w", email, ErrNotFound)
	}
	s.log.Info("address unblocked", "property", p.Slug, "email", email, "actor", actor)
	return nil
}

// anyTime scans a timestamp that may come as a time (a column) or as text (SQLite returns an
// aggregate of timestamps, such as MAX, as the stored text).
type anyTime struct {
	T     time.Time
	Valid bool
}

var storedTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
}

// Scan implements sql.Scanner.
func (a *anyTime) Scan(v any) error {
	*a = anyTime{}
	var text string
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		a.T, a.Valid = x.UTC(), true
		return nil
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return fmt.Errorf("tickets: cannot read %T as a time", v)
	}
	// SQLite's own format may carry Go's monotonic clock reading ("m=+0.1") when it was written
	// from a time.Now value; it is not part of the instant.
	if i := strings.Index(text, " m="); i >= 0 {
		text = text[:i]
	}
	for _, l := range storedTimeLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(text)); err == nil {
			a.T, a.Valid = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("tickets: cannot read %q as a time", text)
}

// Value implements driver.Valuer.
func (a anyTime) Value() (driver.Value, error) {
	if !a.Valid {
		return nil, nil
	}
	return a.T, nil
}

func (a anyTime) ptr() *time.Time {
	if !a.Valid {
		return nil
	}
	t := a.T
	return &t
}
