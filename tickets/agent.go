package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/tickets/rules"
)

// Limits of a message an agent writes, whatever it is written with.
const (
	MaxText        = 1 << 20 // bytes of its text
	MaxAttachments = 20
)

// Outgoing is a message an agent writes: a reply, or the first message of a ticket they open.
type Outgoing struct {
	Text        string
	Attachments []NewAttachment
	// SavedReply, on a reply or a note, names a saved reply of the property: its text, filled in
	// for the ticket and the agent, comes first, then Text (which may then be empty).
	SavedReply string
}

// NewMessageID mints a Message-ID for mail postdesk sends, without angle brackets (see
// rules.NewMessageID).
func NewMessageID(domain string) string { return rules.NewMessageID(domain) }

// Reply posts an agent's reply on a ticket; the hooks send it to the customer and Cc and copy the
// other agents. messageID is the Message-ID of the mail to the customer, fixed now.
func (s *Store) Reply(ctx context.Context, p Property, number int64, by Agent, out Outgoing, messageID string) (Ticket, error) {
	if strings.TrimSpace(out.Text) == "" && strings.TrimSpace(out.SavedReply) == "" {
		return Ticket{}, fmt.Errorf("tickets: %w: the reply is empty", ErrInvalid)
	}
	a, err := s.AgentByEmail(ctx, p.ID, by.Email)
	if err != nil {
		return Ticket{}, err
	}
	t, err := s.Ticket(ctx, p.ID, number)
	if err != nil {
		return Ticket{}, err
	}
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		out, err := s.withSavedReply(ctx, tx, p, t.ID, a, out)
		if err != nil {
			return err
		}
		id, err := s.insertOutgoing(ctx, tx, p, t.ID, a, t.Subject, out, messageID, DirectionOut)
		if err != nil {
			return err
		}
		if err := s.db.Exec(ctx, tx, s.qs.TicketCountMessage, now, t.ID); err != nil {
			return fmt.Errorf("tickets: reply: %w", err)
		}
		if err := s.settleWaiting(ctx, tx, t.ID); err != nil {
			return err
		}
		if err := s.addParticipant(ctx, tx, t.ID, a.Email, "agent"); err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, t.ID, "replied", AgentActor(a), "", now); err != nil {
			return err
		}
		return s.runHooks(ctx, tx, Change{Kind: ChangeAgentReply, Property: p, TicketID: t.ID, MessageID: id, AgentID: a.ID, Human: true})
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, p.ID, number)
}

// NewTicket is a ticket an agent opens from scratch.
type NewTicket struct {
	Customer Address
	Subject  string
	Priority string
	Tags     []string
	Assign   string // an agent's email or a department's name; "" assigns the creator
	Outgoing
}

// CreateTicket opens a ticket for a customer on an agent's initiative; the hooks send the first
// message to the customer and copy the assignee or the department.
func (s *Store) CreateTicket(ctx context.Context, p Property, by Agent, nt NewTicket, messageID string) (Ticket, error) {
	a, err := s.AgentByEmail(ctx, p.ID, by.Email)
	if err != nil {
		return Ticket{}, err
	}
	nt.Customer.Email = normEmail(nt.Customer.Email)
	if !ValidEmail(nt.Customer.Email) {
		return Ticket{}, fmt.Errorf("tickets: %w: customer %q is not an email address", ErrInvalid, nt.Customer.Email)
	}
	nt.Subject = strings.Join(strings.Fields(nt.Subject), " ")
	if nt.Subject == "" {
		return Ticket{}, fmt.Errorf("tickets: %w: a subject is required", ErrInvalid)
	}
	if strings.TrimSpace(nt.Text) == "" {
		return Ticket{}, fmt.Errorf("tickets: %w: the message is empty", ErrInvalid)
	}
	if nt.Priority == "" {
		nt.Priority = rules.DefaultPriority
	}
	if !rules.ValidPriority(nt.Priority) {
		return Ticket{}, fmt.Errorf("tickets: %w: priority %q: one of %s", ErrInvalid, nt.Priority, strings.Join(Priorities, ", "))
	}
	target := nt.Assign
	if target == "" {
		target = a.Email
	}
	agentID, deptID, err := s.assigneeOrInvalid(ctx, p.ID, target)
	if err != nil {
		return Ticket{}, err
	}
	if err := s.ensureNumbering(ctx, p.ID); err != nil {
		return Ticket{}, err
	}
	var number int64
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		contactID, err := s.upsertContact(ctx, tx, p.ID, nt.Customer.Email, nt.Customer.Name, now)
		if err != nil {
			return err
		}
		var id int64
		id, number, err = s.insertTicket(ctx, tx, p.ID, nt.Subject, contactID, nil, now)
		if err != nil {
			return err
		}
		if err := s.db.Exec(ctx, tx, s.qs.TicketSetCreated,
			nt.Priority, nullID(agentID), nullID(deptID), id); err != nil {
			return fmt.Errorf("tickets: create: %w", err)
		}
		for _, tag := range nt.Tags {
			if err := s.addTag(ctx, tx, id, tag); err != nil {
				return err
			}
		}
		msgID, err := s.insertOutgoing(ctx, tx, p, id, a, nt.Subject, nt.Outgoing, messageID, DirectionOut)
		if err != nil {
			return err
		}
		// The agent spoke first: the customer has the next word.
		if err := s.settleWaiting(ctx, tx, id); err != nil {
			return err
		}
		if err := s.addParticipant(ctx, tx, id, nt.Customer.Email, "customer"); err != nil {
			return err
		}
		if err := s.addParticipant(ctx, tx, id, a.Email, "agent"); err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, id, "created", AgentActor(a), "opened by an agent; assigned to "+target, now); err != nil {
			return err
		}
		return s.runHooks(ctx, tx, Change{Kind: ChangeAgentCreated, Property: p, TicketID: id, MessageID: msgID, AgentID: a.ID, Human: true})
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, p.ID, number)
}

// Assign gives a ticket to an agent (by email) or a department (by name); the hooks tell the new
// assignee, never the agent who assigned.
func (s *Store) Assign(ctx context.Context, p Property, number int64, by Agent, target string) (Ticket, error) {
	a, err := s.AgentByEmail(ctx, p.ID, by.Email)
	if err != nil {
		return Ticket{}, err
	}
	agentID, deptID, err := s.assigneeOrInvalid(ctx, p.ID, target)
	if err != nil {
		return Ticket{}, err
	}
	return s.onTicket(ctx, p, number, func(tx *sqlx.Tx, id int64) error {
		return s.assign(ctx, tx, p, id, a, agentID, deptID, target)
	})
}

// assigneeOrInvalid resolves an assignment target (see assignee); one that names nobody is
// ErrInvalid.
func (s *Store) assigneeOrInvalid(ctx context.Context, propertyID int64, target string) (agentID, deptID int64, err error) {
	agentID, deptID, found, err := s.assignee(ctx, nil, propertyID, target)
	switch {
	case err != nil:
		return 0, 0, err
	case !found && strings.Contains(target, "@"):
		return 0, 0, fmt.Errorf("tickets: %w: %q is not an agent of this property", ErrInvalid, target)
	case !found:
		return 0, 0, fmt.Errorf("tickets: %w: no agent or department %q", ErrInvalid, target)
	}
	return agentID, deptID, nil
}

func (s *Store) addTag(ctx context.Context, tx *sqlx.Tx, ticketID int64, tag string) error {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "" || len(tag) > 64 || strings.ContainsAny(tag, " \t\r\n,") {
		return fmt.Errorf("tickets: %w: tag %q: one word of up to 64 characters", ErrInvalid, tag)
	}
	if err := s.db.Exec(ctx, tx, s.qs.TicketTagAdd, ticketID, tag); err != nil {
		return fmt.Errorf("tickets: tag: %w", err)
	}
	return nil
}

func (s *Store) addParticipant(ctx context.Context, tx *sqlx.Tx, ticketID int64, email, role string) error {
	if err := s.db.Exec(ctx, tx, s.qs.ParticipantAdd,
		ticketID, normEmail(email), role); err != nil {
		return fmt.Errorf("tickets: add participant: %w", err)
	}
	return nil
}

// insertOutgoing stores an agent's message. Its Message-ID is the one the customer's mail will
// carry, so a reply to it threads; raw holds nothing until the mail is rendered into the outbox.
func (s *Store) insertOutgoing(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, a Agent, subject string, out Outgoing, messageID, direction string) (int64, error) {
	var id int64
	err := s.db.Get(ctx, tx, &id, s.qs.MessageInsertOutgoing,
		p.ID, ticketID, direction, a.ID, a.Name, a.Email, subject, messageID, DedupKey(messageID, nil), out.Text, out.Text, s.Now())
	if err != nil {
		return 0, fmt.Errorf("tickets: insert reply: %w", err)
	}
	if err := s.RecordThreadID(ctx, tx, p.ID, messageID, ticketID, 0); err != nil {
		return 0, err
	}
	for _, att := range out.Attachments {
		if err := s.insertAttachment(ctx, tx, id, att); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// RecordConversationRoot records an agent's conversation root of a ticket (notify's virtual
// References root): a thread id that joins the ticket as that agent's, but stands for no copy, so
// a reply that names only it is never held as stale (nothing says what the agent had seen).
func (s *Store) RecordConversationRoot(ctx context.Context, tx *sqlx.Tx, propertyID int64, root string, ticketID, agentID int64) error {
	if err := s.db.Exec(ctx, tx, s.qs.ThreadIDRecord, propertyID, root, ticketID, nullID(agentID)); err != nil {
		return fmt.Errorf("tickets: record conversation root: %w", err)
	}
	return nil
}

// RecordThreadID remembers a Message-ID postdesk sent, so that replies to it thread into the
// ticket (and, with agentID, are known to answer that agent's copy, rendered as the ticket stands
// now: a reply to it is stale when a colleague answered since — see Arrived).
func (s *Store) RecordThreadID(ctx context.Context, tx *sqlx.Tx, propertyID int64, messageID string, ticketID, agentID int64) error {
	query, args := s.qs.ThreadIDRecord, []any{propertyID, messageID, ticketID, nullID(agentID)}
	if agentID != 0 {
		query, args = s.qs.ThreadIDRecordCopy, append(args, ticketID)
	}
	if err := s.db.Exec(ctx, tx, query, args...); err != nil {
		return fmt.Errorf("tickets: record message-id: %w", err)
	}
	return nil
}
