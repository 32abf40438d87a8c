package tickets

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/mailcmd"
	"github.com/postdesk/postdesk/threading"
)

// Mail from an agent of the property that threads into one of its tickets. What it does depends on
// how sure we are that the agent wrote it, answering postdesk:
//
//   - answering their own copy (an agent-scoped reply token, or the Message-ID of a copy postdesk
//     sent them) with the agent in From: it is the agent's reply, sent on to the customer and Cc,
//     copied to the other agents involved, never back to its author;
//   - commands at the top (#close, #assign …) run only with an agent-scoped token of that same
//     agent (and, when required, an aligned DKIM signature); anything else never runs a command;
//   - #note, or a reply of commands only, is an internal note: nothing goes to the customer;
//   - a command that cannot be read changes nothing and sends nothing on: the agent gets one error
//     mail (rate limited by notify);
//   - an agent who answered the customer directly with the property in copy: the customer has it
//     already; it is posted as the agent's reply and copied to the other agents only.

// Kinds of change an agent's mail causes (notify decides who gets what).
const (
	ChangeAgentReply       = "agent-reply"        // sent to the customer and Cc, copies to agents
	ChangeAgentReplyDirect = "agent-reply-direct" // the customer has it already: copies to agents
	ChangeAgentNote        = "agent-note"         // internal note: copies to agents
	ChangeAgentCommands    = "agent-commands"     // commands only: nothing to send for the mail itself
	ChangeCommandError     = "command-error"      // commands could not be read: error mail to the agent
	ChangeAgentMail        = "agent-mail"         // other agent mail on a ticket: the audience is told
)

func (s *Store) deliverAgentMail(ctx context.Context, tx *sqlx.Tx, p Property, in Inbound, key string, dec threading.Decision, agentID int64, now time.Time) (Delivery, error) {
	d := Delivery{Decision: dec, Action: threading.Append, TicketID: dec.Ticket.ID, TicketNumber: dec.Ticket.Number}
	var a Agent
	if err := s.db.Get(ctx, tx, &a, `SELECT `+agentCols+` FROM agents a JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.property_id = ? AND a.id = ?`, p.ID, agentID); err != nil {
		return Delivery{}, fmt.Errorf("tickets: agent mail: %w", err)
	}
	actor := "agent:" + a.Email
	scoped := dec.AgentID == agentID                        // answers a postdesk mail sent to this agent
	mayCommand := scoped && dec.Reason == threading.ByToken // … through its signed, agent-scoped token

	text := in.Trimmed
	if strings.TrimSpace(text) == "" {
		text = in.Text
	}
	parsed := mailcmd.Parse(text, now)
	hasCommands := len(parsed.Commands)+len(parsed.Errors) > 0

	direction, trimmed, kind := DirectionIn, in.Trimmed, ChangeAgentMail
	var errs []string
	var plan []func() error
	switch {
	case hasCommands && !mayCommand:
		why := "the mail does not answer this agent's own copy (agent-scoped reply token)"
		if err := s.addEvent(ctx, tx, d.TicketID, "commands-refused", actor, why, now); err != nil {
			return Delivery{}, err
		}
		direction, kind = DirectionNote, ChangeAgentCommands
	case hasCommands && in.CommandsRefused != "":
		if err := s.addEvent(ctx, tx, d.TicketID, "commands-refused", actor, in.CommandsRefused, now); err != nil {
			return Delivery{}, err
		}
		direction, kind = DirectionNote, ChangeAgentCommands
	case hasCommands:
		var err error
		plan, errs, err = s.planCommands(ctx, tx, p, d.TicketID, a, parsed.Commands)
		if err != nil {
			return Delivery{}, err
		}
		errs = append(parsed.Errors, errs...)
		trimmed = parsed.Body
		switch {
		case len(errs) > 0:
			// Nothing runs and nothing is sent; the mail is kept as a note for the record.
			direction, kind, trimmed, plan = DirectionNote, ChangeCommandError, text, nil
			if err := s.addEvent(ctx, tx, d.TicketID, "commands-rejected", actor, strings.Join(errs, "; "), now); err != nil {
				return Delivery{}, err
			}
		case parsed.Note():
			direction, kind = DirectionNote, ChangeAgentNote
			if strings.TrimSpace(parsed.Body) == "" {
				kind = ChangeAgentCommands
			}
		case strings.TrimSpace(parsed.Body) == "":
			direction, kind = DirectionNote, ChangeAgentCommands
		default:
			direction, kind = DirectionOut, s.replyKind(ctx, tx, d.TicketID, in)
		}
	case scoped:
		direction, kind = DirectionOut, s.replyKind(ctx, tx, d.TicketID, in)
	default:
		if s.replyKind(ctx, tx, d.TicketID, in) == ChangeAgentReplyDirect {
			direction, kind = DirectionOut, ChangeAgentReplyDirect
		}
	}

	if direction == DirectionOut && strings.TrimSpace(trimmed) == "" {
		// Nothing written above the quote: sending it on would send only the quoted history
		// (our own notification, internal details included). Kept for the record, not sent.
		direction, kind = DirectionNote, ChangeAgentCommands
		if err := s.addEvent(ctx, tx, d.TicketID, "empty-reply", actor, "nothing written above the quote: not sent", now); err != nil {
			return Delivery{}, err
		}
	}
	var err error
	d.MessageID, err = s.insertInbound(ctx, tx, p.ID, d.TicketID, agentID, 0, in, direction, trimmed, key, dec.String(), now)
	if err != nil {
		return Delivery{}, err
	}
	if err := s.db.Exec(ctx, tx, `UPDATE tickets SET message_count = message_count + 1, updated_at = ? WHERE id = ?`, now, d.TicketID); err != nil {
		return Delivery{}, fmt.Errorf("tickets: count message: %w", err)
	}
	if err := s.addParticipants(ctx, tx, p, d.TicketID, true, in); err != nil {
		return Delivery{}, err
	}
	switch direction {
	case DirectionOut:
		if err := s.addEvent(ctx, tx, d.TicketID, "replied", actor, "by mail", now); err != nil {
			return Delivery{}, err
		}
	case DirectionNote:
		if kind == ChangeAgentNote {
			if err := s.addEvent(ctx, tx, d.TicketID, "noted", actor, "by mail", now); err != nil {
				return Delivery{}, err
			}
		}
	}
	for _, run := range plan {
		if err := run(); err != nil {
			return Delivery{}, err
		}
	}
	c := Change{Kind: kind, Property: p, TicketID: d.TicketID, MessageID: d.MessageID, AgentID: agentID, Human: true, Errors: errs}
	if err := s.runHooks(ctx, tx, c); err != nil {
		return Delivery{}, fmt.Errorf("tickets: after delivery: %w", err)
	}
	return d, nil
}

// replyKind tells an agent's reply that the customer already received (they were in To or Cc:
// the agent answered them directly, copying the property) from one postdesk must send on.
func (s *Store) replyKind(ctx context.Context, tx *sqlx.Tx, ticketID int64, in Inbound) string {
	var customer []string
	if err := s.db.Select(ctx, tx, &customer, `SELECT c.email FROM contacts c JOIN tickets t ON t.contact_id = c.id WHERE t.id = ?`, ticketID); err != nil || len(customer) == 0 {
		return ChangeAgentReply
	}
	for _, a := range append(append([]Address{}, in.To...), in.Cc...) {
		if normEmail(a.Email) == customer[0] {
			return ChangeAgentReplyDirect
		}
	}
	return ChangeAgentReply
}

// planCommands checks every command before any runs: it returns what to run, or what is wrong.
func (s *Store) planCommands(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, a Agent, cmds []mailcmd.Command) (plan []func() error, errs []string, err error) {
	actor := "agent:" + a.Email
	for _, c := range cmds {
		c := c
		switch c.Name {
		case "close", "reopen":
			status := StatusClosed
			if c.Name == "reopen" {
				status = StatusOpen
			}
			plan = append(plan, func() error { return s.setStatusTx(ctx, tx, ticketID, actor, status) })
		case "priority":
			plan = append(plan, func() error { return s.setPriority(ctx, tx, ticketID, actor, c.Arg) })
		case "tag":
			plan = append(plan, func() error { return s.retag(ctx, tx, ticketID, actor, []string{c.Arg}, nil) })
		case "untag":
			plan = append(plan, func() error { return s.retag(ctx, tx, ticketID, actor, nil, []string{c.Arg}) })
		case "snooze":
			plan = append(plan, func() error { return s.snooze(ctx, tx, ticketID, actor, c.Until) })
		case "assign":
			target := c.Arg
			if strings.EqualFold(target, "me") {
				target = a.Email
			}
			agentID, deptID, found, err := s.assigneeTx(ctx, tx, p.ID, target)
			if err != nil {
				return nil, nil, err
			}
			if !found {
				errs = append(errs, fmt.Sprintf("%q: no agent or department %q on this property", c.Line, c.Arg))
				continue
			}
			plan = append(plan, func() error { return s.assignTx(ctx, tx, p, ticketID, a, agentID, deptID, target) })
		case "note":
		}
	}
	return plan, errs, nil
}

// assigneeTx resolves an assignment target inside tx: an agent of the property by email, else a
// department by name (case-insensitive).
func (s *Store) assigneeTx(ctx context.Context, tx *sqlx.Tx, propertyID int64, target string) (agentID, deptID int64, found bool, err error) {
	if strings.Contains(target, "@") {
		a, ok, err := s.propertyAgent(ctx, tx, propertyID, target)
		return a.ID, 0, ok, err
	}
	var ids []int64
	if err := s.db.Select(ctx, tx, &ids, `SELECT id FROM departments WHERE property_id = ? AND name_key = ?`, propertyID, strings.ToLower(strings.TrimSpace(target))); err != nil {
		return 0, 0, false, fmt.Errorf("tickets: find department: %w", err)
	}
	if len(ids) == 0 {
		return 0, 0, false, nil
	}
	return 0, ids[0], true, nil
}

// forwardPrefixRE is a forward prefix of a subject in the languages mail clients write it in.
var forwardPrefixRE = regexp.MustCompile(`(?i)^\s*((fwd?|tr|wg|rv|enc|i|vs|vb|doorst|fs)\s*:\s*)+`)

// deliverForward opens a ticket for the customer whose mail an agent forwarded to the property:
// the customer is the original sender, the agent is recorded as who forwarded it.
func (s *Store) deliverForward(ctx context.Context, tx *sqlx.Tx, p Property, in Inbound, key string, dec threading.Decision, a Agent, now time.Time) (Delivery, error) {
	fw := in.Forwarded
	contact, err := s.upsertContactFlags(ctx, tx, p.ID, normEmail(fw.From.Email), fw.From.Name, now)
	if err != nil {
		return Delivery{}, err
	}
	if contact.Blocked {
		return Delivery{Decision: dec, Action: threading.Drop}, nil
	}
	subject := fw.Subject
	if strings.TrimSpace(subject) == "" {
		subject = forwardPrefixRE.ReplaceAllString(in.Subject, "")
	}
	d := Delivery{Decision: dec, Action: threading.Create}
	d.TicketID, d.TicketNumber, err = s.insertTicket(ctx, tx, p.ID, ticketSubject(subject), contact.ID, nil, now)
	if err != nil {
		return Delivery{}, err
	}
	actor := "agent:" + a.Email
	if err := s.addEvent(ctx, tx, d.TicketID, "created", actor, "forwarded by "+a.Email+" for "+normEmail(fw.From.Email), now); err != nil {
		return Delivery{}, err
	}
	trimmed := fw.Text
	if strings.TrimSpace(trimmed) == "" {
		trimmed = in.Trimmed
	}
	d.MessageID, err = s.insertInbound(ctx, tx, p.ID, d.TicketID, a.ID, contact.ID, in, DirectionIn, trimmed, key, dec.String()+"; forwarded by an agent", now)
	if err != nil {
		return Delivery{}, err
	}
	if err := s.db.Exec(ctx, tx, `UPDATE tickets SET message_count = 1, spam = ? WHERE id = ?`, contact.Spam, d.TicketID); err != nil {
		return Delivery{}, fmt.Errorf("tickets: count message: %w", err)
	}
	if err := s.addParticipant(ctx, tx, d.TicketID, fw.From.Email, "customer"); err != nil {
		return Delivery{}, err
	}
	if err := s.addParticipant(ctx, tx, d.TicketID, a.Email, "agent"); err != nil {
		return Delivery{}, err
	}
	// The agent acted: no acknowledgement to a customer who did not write to us, and the audience
	// hears of the ticket, not the agent who forwarded it.
	c := Change{Kind: "ticket-created", Property: p, TicketID: d.TicketID, MessageID: d.MessageID, AgentID: a.ID, Human: !contact.Spam}
	if err := s.runHooks(ctx, tx, c); err != nil {
		return Delivery{}, fmt.Errorf("tickets: after delivery: %w", err)
	}
	return d, nil
}
