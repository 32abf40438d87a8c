package tickets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/threading"
)

// MailContext is everything needed to decide and write the mail a change causes, read inside the
// change's transaction.
type MailContext struct {
	Property Property
	Ticket   Ticket
	Message  *Message // the message that caused the change, nil when none
	Actor    *Agent   // the acting agent, nil when the customer or the system
	Contact  Contact  // the ticket's customer
	// Cc is everyone else on the ticket who is not an agent: they receive agents' replies.
	Cc []string
	// Audience is whom notifications about the ticket go to: its assignee; else the members of its
	// department; else those of the property's default department; else all the property's agents.
	Audience []Agent
	// Involved is the agents who take part in the ticket (replied, or assigned): with the
	// Audience, they get copies of agents' replies and notes (see Parties).
	Involved []Agent
	// References is the ticket's Message-IDs, oldest first (the last 20), for References headers.
	References []string
	// InReplyTo is the Message-ID the new mail answers: the triggering message, or the last one.
	InReplyTo string
	// FollowsUp is, for a follow-up ticket, the number of the closed ticket it follows up.
	FollowsUp int64
}

// MailContext reads what c's mail needs, in tx (nil: outside a transaction). With full false it
// reads only what deciding the recipients takes — the ticket, its customer, the actor and the
// agents — which is what a change's transaction can afford; rendering needs full.
func (s *Store) MailContext(ctx context.Context, tx *sqlx.Tx, c Change, full bool) (MailContext, error) {
	// A ticket moved to the trash after its mail was queued still gets that mail sent: the mail
	// was written, and the trash can be undone.
	mc := MailContext{Property: c.Property}
	var ts []Ticket
	if err := s.db.Select(ctx, tx, &ts, s.qs.TicketByIDAnyState, c.Property.ID, c.TicketID); err != nil {
		return mc, fmt.Errorf("tickets: mail context: %w", err)
	}
	if len(ts) == 0 {
		return mc, fmt.Errorf("tickets: mail context: ticket %d: %w", c.TicketID, ErrNotFound)
	}
	if full {
		var q sqlx.QueryerContext = s.db.DB
		if tx != nil {
			q = tx
		}
		if err := s.loadTags(ctx, q, ts); err != nil {
			return mc, err
		}
	}
	mc.Ticket = ts[0]
	mc.Ticket.normalise()
	if mc.Ticket.FollowsUp != nil {
		mc.FollowsUp = *mc.Ticket.FollowsUp
	}
	var contacts []Contact
	if err := s.db.Select(ctx, tx, &contacts, s.qs.ContactOfTicket, c.TicketID); err != nil {
		return mc, fmt.Errorf("tickets: mail context: contact: %w", err)
	}
	if len(contacts) > 0 {
		mc.Contact = contacts[0]
	}
	if c.MessageID != 0 {
		var ms []Message
		query := s.qs.MessageBrief // enough to decide
		if full {
			query = s.qs.MessageFull
		}
		if err := s.db.Select(ctx, tx, &ms, query, c.MessageID); err != nil {
			return mc, fmt.Errorf("tickets: mail context: message: %w", err)
		}
		if len(ms) > 0 {
			mc.Message = &ms[0]
		}
		// A ticket opened by an answer of one who took no part in the ticket it is linked to is a new
		// conversation, not the follow-up of a closed ticket, and is told as a new ticket.
		if mc.Message != nil && strings.HasPrefix(mc.Message.Threading, string(threading.Answers)+" ") {
			mc.FollowsUp = 0
		}
		if len(ms) > 0 && full {
			var atts []Attachment
			if err := s.db.Select(ctx, tx, &atts, s.qs.AttachmentsOfMessage, c.MessageID); err != nil {
				return mc, fmt.Errorf("tickets: mail context: attachments: %w", err)
			}
			mc.Message.Attachments = atts
		}
	}
	if c.AgentID != 0 {
		var as []Agent
		if err := s.db.Select(ctx, tx, &as, s.qs.AgentByID, c.Property.ID, c.AgentID); err != nil {
			return mc, fmt.Errorf("tickets: mail context: actor: %w", err)
		}
		if len(as) > 0 {
			mc.Actor = &as[0]
		}
	}
	// Cc and the agents involved matter only for an agent's message.
	agentMessage := strings.HasPrefix(string(c.Kind), "agent-") || full
	if agentMessage {
		if err := s.ccAndInvolved(ctx, tx, c, &mc); err != nil {
			return mc, err
		}
	}
	var err error
	if mc.Audience, err = s.audience(ctx, tx, c.Property.ID, c.TicketID); err != nil {
		return mc, err
	}
	if !full {
		return mc, nil
	}
	var refs []string
	if err := s.db.Select(ctx, tx, &refs, s.qs.MessageIDsOfTicket, c.TicketID); err != nil {
		return mc, fmt.Errorf("tickets: mail context: references: %w", err)
	}
	for i := len(refs) - 1; i >= 0; i-- {
		mc.References = append(mc.References, refs[i])
	}
	if mc.Message != nil && mc.Message.MessageID != "" {
		mc.InReplyTo = mc.Message.MessageID
	} else if len(refs) > 0 {
		mc.InReplyTo = refs[0]
	}
	return mc, nil
}

func (s *Store) ccAndInvolved(ctx context.Context, tx *sqlx.Tx, c Change, mc *MailContext) error {
	if err := s.db.Select(ctx, tx, &mc.Cc, s.qs.TicketCc, c.TicketID, c.Property.ID); err != nil {
		return fmt.Errorf("tickets: mail context: cc: %w", err)
	}
	if err := s.db.Select(ctx, tx, &mc.Involved, s.qs.AgentsInvolved, c.Property.ID, c.TicketID, c.TicketID); err != nil {
		return fmt.Errorf("tickets: mail context: involved: %w", err)
	}
	return nil
}

// audience is, in one query, the first non-empty of: the assignee; the members of the ticket's
// department; the members of the property's default department; all the property's agents.
func (s *Store) audience(ctx context.Context, tx *sqlx.Tx, propertyID, ticketID int64) ([]Agent, error) {
	var rows []struct {
		Agent
		Rank int `db:"rank"`
	}
	err := s.db.Select(ctx, tx, &rows, s.qs.Audience, ticketID, ticketID, propertyID, propertyID, propertyID)
	if err != nil {
		return nil, fmt.Errorf("tickets: audience: %w", err)
	}
	var out []Agent
	for _, r := range rows {
		if r.Rank != rows[0].Rank {
			break
		}
		out = append(out, r.Agent)
	}
	return out, nil
}

// MarkBouncing flags a contact's address after a bounce; automatic mail skips it from then on.
func (s *Store) MarkBouncing(ctx context.Context, tx *sqlx.Tx, propertyID int64, email string) error {
	if err := s.db.Exec(ctx, tx, s.qs.ContactMarkBouncing, true, propertyID, normEmail(email)); err != nil {
		return fmt.Errorf("tickets: mark bouncing: %w", err)
	}
	return nil
}

// AddEvent records an event on a ticket inside tx (for hooks).
func (s *Store) AddEvent(ctx context.Context, tx *sqlx.Tx, ticketID int64, kind string, actor Actor, detail string) error {
	return s.addEvent(ctx, tx, ticketID, kind, actor, detail, s.Now())
}

// SetDefaultDepartment makes dept the department notified about unassigned tickets.
func (s *Store) SetDefaultDepartment(ctx context.Context, propertyID, deptID int64) error {
	err := s.db.Exec(ctx, nil, s.qs.PropertySetDefaultDepartment, deptID, propertyID)
	if err != nil {
		return fmt.Errorf("tickets: default department: %w", err)
	}
	return nil
}

// SetRaw stores the rendered mail of an outgoing message, so it can be exported like any other
// (in tx, or in a transaction of its own when tx is nil).
func (s *Store) SetRaw(ctx context.Context, tx *sqlx.Tx, messageID int64, raw []byte) error {
	if tx == nil {
		return s.db.Batch(ctx, func(tx *sqlx.Tx) error { return s.SetRaw(context.WithoutCancel(ctx), tx, messageID, raw) })
	}
	if err := s.db.Exec(ctx, tx, s.qs.MessageSetRaw, raw, len(raw), messageID); err != nil {
		return fmt.Errorf("tickets: store rendered mail: %w", err)
	}
	return nil
}

// SentMail is one mail queued to an agent: its Message-ID and when it was queued (its Date).
type SentMail struct {
	MessageID string    `db:"message_id"`
	At        time.Time `db:"created_at"`
}

// AgentMails is the last (at most limit) mails queued to agent agentID about ticket ticketID,
// oldest first: the mails their mail client shows as the ticket's conversation.
func (s *Store) AgentMails(ctx context.Context, tx *sqlx.Tx, ticketID, agentID int64, limit int) ([]SentMail, error) {
	var ms []SentMail
	if err := s.db.Select(ctx, tx, &ms, s.qs.AgentMailsOfTicket, ticketID, ticketID, agentID, limit); err != nil {
		return nil, fmt.Errorf("tickets: mails to agent %d on ticket %d: %w", agentID, ticketID, err)
	}
	slices.Reverse(ms)
	for i := range ms {
		ms[i].At = ms[i].At.UTC()
	}
	return ms, nil
}
