package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
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
	// Involved is the agents who take part in the ticket (replied, or assigned): they get copies of
	// agents' replies.
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
	if err := s.db.Select(ctx, tx, &ts, strings.Replace(ticketSelect, "WHERE t.property_id = ? AND t.deleted_at IS NULL", "WHERE t.property_id = ? AND t.id = ?", 1), c.Property.ID, c.TicketID); err != nil {
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
	if err := s.db.Select(ctx, tx, &contacts, `SELECT c.id, c.email, c.name, c.bouncing, c.blocked FROM contacts c JOIN tickets t ON t.contact_id = c.id WHERE t.id = ?`, c.TicketID); err != nil {
		return mc, fmt.Errorf("tickets: mail context: contact: %w", err)
	}
	if len(contacts) > 0 {
		mc.Contact = contacts[0]
	}
	if c.MessageID != 0 {
		var ms []Message
		cols := `id, direction, from_name, from_email, message_id, created_at` // enough to decide
		if full {
			cols = messageCols
		}
		if err := s.db.Select(ctx, tx, &ms, `SELECT `+cols+` FROM messages WHERE id = ?`, c.MessageID); err != nil {
			return mc, fmt.Errorf("tickets: mail context: message: %w", err)
		}
		if len(ms) > 0 {
			mc.Message = &ms[0]
		}
		if len(ms) > 0 && full {
			var atts []Attachment
			if err := s.db.Select(ctx, tx, &atts, `SELECT id, message_id, filename, content_type, size, content_id, inline, sha256, data FROM attachments WHERE message_id = ? ORDER BY id`, c.MessageID); err != nil {
				return mc, fmt.Errorf("tickets: mail context: attachments: %w", err)
			}
			mc.Message.Attachments = atts
		}
	}
	if c.AgentID != 0 {
		var as []Agent
		if err := s.db.Select(ctx, tx, &as, `SELECT `+agentCols+` FROM agents a JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.property_id = ? AND a.id = ?`, c.Property.ID, c.AgentID); err != nil {
			return mc, fmt.Errorf("tickets: mail context: actor: %w", err)
		}
		if len(as) > 0 {
			mc.Actor = &as[0]
		}
	}
	// Cc and the agents involved matter only for an agent's message.
	agentMessage := strings.HasPrefix(c.Kind, "agent-") || full
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
	if err := s.db.Select(ctx, tx, &refs, `SELECT message_id FROM messages WHERE ticket_id = ? AND message_id <> '' ORDER BY id DESC LIMIT 20`, c.TicketID); err != nil {
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
	if err := s.db.Select(ctx, tx, &mc.Cc, `SELECT p.email FROM ticket_participants p WHERE p.ticket_id = ? AND p.role = 'cc'
		AND p.email NOT IN (SELECT a.email FROM agents a JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.property_id = ?) ORDER BY p.email`, c.TicketID, c.Property.ID); err != nil {
		return fmt.Errorf("tickets: mail context: cc: %w", err)
	}
	if err := s.db.Select(ctx, tx, &mc.Involved, `SELECT `+agentCols+` FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
		WHERE pa.property_id = ? AND (a.email IN (SELECT email FROM ticket_participants WHERE ticket_id = ?) OR a.id = (SELECT assignee_agent_id FROM tickets WHERE id = ?))
		ORDER BY a.email`, c.Property.ID, c.TicketID, c.TicketID); err != nil {
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
	err := s.db.Select(ctx, tx, &rows, `SELECT `+agentCols+`, x.rank FROM (
			SELECT assignee_agent_id AS agent_id, 1 AS rank FROM tickets WHERE id = ? AND assignee_agent_id IS NOT NULL
			UNION ALL SELECT m.agent_id, 2 FROM department_members m JOIN tickets t ON t.assignee_department_id = m.department_id WHERE t.id = ?
			UNION ALL SELECT m.agent_id, 3 FROM department_members m JOIN properties p ON p.default_department_id = m.department_id WHERE p.id = ?
			UNION ALL SELECT agent_id, 4 FROM property_agents WHERE property_id = ?
		) x JOIN agents a ON a.id = x.agent_id JOIN property_agents pa ON pa.agent_id = a.id AND pa.property_id = ?
		ORDER BY x.rank, a.email`, ticketID, ticketID, propertyID, propertyID, propertyID)
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
	if err := s.db.Exec(ctx, tx, `UPDATE contacts SET bouncing = ? WHERE property_id = ? AND email = ?`, true, propertyID, normEmail(email)); err != nil {
		return fmt.Errorf("tickets: mark bouncing: %w", err)
	}
	return nil
}

// AddEvent records an event on a ticket inside tx (for hooks).
func (s *Store) AddEvent(ctx context.Context, tx *sqlx.Tx, ticketID int64, kind, actor, detail string) error {
	return s.addEvent(ctx, tx, ticketID, kind, actor, detail, s.Now())
}

// SetDefaultDepartment makes dept the department notified about unassigned tickets.
func (s *Store) SetDefaultDepartment(ctx context.Context, propertyID, deptID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE properties SET default_department_id = ? WHERE id = ?`), deptID, propertyID)
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
	if err := s.db.Exec(ctx, tx, `UPDATE messages SET raw = ?, raw_size = ? WHERE id = ?`, raw, len(raw), messageID); err != nil {
		return fmt.Errorf("tickets: store rendered mail: %w", err)
	}
	return nil
}

// MarkContactsBouncing flags addresses of a property's contacts as bouncing.
func (s *Store) MarkContactsBouncing(ctx context.Context, propertyID int64, emails []string) error {
	if len(emails) == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		for _, e := range emails {
			if err := s.MarkBouncing(ctx, tx, propertyID, e); err != nil {
				return err
			}
		}
		return nil
	})
}
