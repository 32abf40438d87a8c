package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/mailcmd"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets/rules"
)

// deliverAgentMail stores mail from an agent of the property that threads into one of its
// tickets: rules.DecideAgentMail says what it becomes; this reads what the rule needs and writes
// what it decides.
func (s *Store) deliverAgentMail(ctx context.Context, tx *sqlx.Tx, p Property, in Inbound, key string, dec threading.Decision, a Agent, now time.Time) (Delivery, error) {
	d := Delivery{Decision: dec, Action: threading.Append, TicketID: dec.Ticket.ID, TicketNumber: dec.Ticket.Number}
	actor := AgentActor(a)

	text := in.Trimmed
	if strings.TrimSpace(text) == "" {
		text = in.Text
	}
	parsed := mailcmd.Parse(text, now)
	m := rules.AgentMail{
		Unverified:  in.Unverified,
		Scoped:      dec.AgentID == a.ID, // answers a postdesk mail sent to this agent
		ByToken:     dec.Reason == threading.ByToken,
		HasCommands: len(parsed.Commands)+len(parsed.Errors) > 0,
		Note:        parsed.Note(),
		// What may be sent to the customer: what the agent wrote, never a quoted line (an inline
		// answer keeps them, and they are our own internal mail).
		Body: Unquoted(in.Trimmed),
	}
	if m.HasCommands {
		m.Body = Unquoted(parsed.Body)
	}
	var err error
	// Answering the copy of an internal note (or an error mail) is internal too.
	if m.Internal, err = s.answersInternal(ctx, tx, p.ID, in.InReplyTo); err != nil {
		return Delivery{}, err
	}
	if m.Direct, err = s.customerAddressed(ctx, tx, d.TicketID, in); err != nil {
		return Delivery{}, err
	}
	var plan []func() error
	var then []Change // told after the mail's own change (a #close)
	if m.CommandsMayRun() {
		var errs, saved []string
		if plan, errs, err = s.planCommands(ctx, tx, p, d.TicketID, a, in.Domain, parsed.Commands, &then, &saved); err != nil {
			return Delivery{}, err
		}
		m.CommandErrors = append(append([]string(nil), parsed.Errors...), errs...)
		// #reply NAME: the saved texts, filled in, where their lines were; then what the agent
		// wrote. It is what is stored (trimmed) and so what is sent.
		m.Body = joinReply(append(saved, m.Body)...)
	}
	v := rules.DecideAgentMail(m)
	if v.Outcome == rules.Reply {
		var sent int
		if err := s.db.Get(ctx, tx, &sent, s.qs.AgentRepliesSince,
			d.TicketID, a.ID, DirectionOut, now.Add(-time.Hour)); err != nil {
			return Delivery{}, fmt.Errorf("tickets: agent mail: %w", err)
		}
		v = v.Brake(sent)
	}
	var since []Message
	if v.Outcome == rules.Reply {
		// Answering an old copy, after a colleague answered or wrote a note: held (Arrived).
		if since, err = s.staleSince(ctx, tx, p, d.TicketID, a, in); err != nil {
			return Delivery{}, err
		}
		v = v.Stale(len(since) > 0)
	}
	if !v.RunCommands {
		plan = nil
	}
	if v.Event != "" {
		if err := s.addEvent(ctx, tx, d.TicketID, v.Event, actor, v.Detail, now); err != nil {
			return Delivery{}, err
		}
	}
	kind := agentMailKind(v.Outcome)
	direction := v.Direction()
	trimmed := m.Body
	switch {
	case direction == DirectionIn || kind == ChangeCommandError:
		trimmed = in.Trimmed
	case kind == ChangeAgentCommands:
		// Commands only: what the agent wrote is the commands, stored as written — an empty text
		// would show the whole quoted notification instead.
		trimmed = commandLines(parsed.Commands)
	}

	d.MessageID, err = s.insertInbound(ctx, tx, p.ID, d.TicketID, a.ID, 0, in, direction, trimmed, key, dec.String(), now)
	if err != nil {
		return Delivery{}, err
	}
	if err := s.db.Exec(ctx, tx, s.qs.TicketCountMessage, now, d.TicketID); err != nil {
		return Delivery{}, fmt.Errorf("tickets: count message: %w", err)
	}
	// A reply that went out (or that the customer has) is the customer's turn; a note, a held or
	// refused reply, commands alone: nothing changes (the commands that do settle it themselves).
	if err := s.settleWaiting(ctx, tx, d.TicketID); err != nil {
		return Delivery{}, err
	}
	switch direction {
	case DirectionOut:
		// Only a reply that goes out (or that the customer has) brings its Cc into the ticket: a
		// note's or a refused mail's addresses must never receive the customer's thread.
		if err := s.addParticipants(ctx, tx, p, d.TicketID, true, in); err != nil {
			return Delivery{}, err
		}
		if err := s.addEvent(ctx, tx, d.TicketID, "replied", actor, "by mail", now); err != nil {
			return Delivery{}, err
		}
	case DirectionNote:
		if kind == ChangeReplyHeld {
			if err := s.db.Exec(ctx, tx, s.qs.MessageSetHeld, true, d.MessageID); err != nil {
				return Delivery{}, fmt.Errorf("tickets: hold reply: %w", err)
			}
		}
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
	c := Change{Kind: kind, Property: p, TicketID: d.TicketID, MessageID: d.MessageID, AgentID: a.ID, Human: true, Received: true, Errors: v.Notices}
	c.Since = since
	for _, c := range append([]Change{c}, then...) {
		if err := s.runHooks(ctx, tx, c); err != nil {
			return Delivery{}, fmt.Errorf("tickets: after delivery: %w", err)
		}
	}
	return d, nil
}

// commandLines is the command lines of a mail as the agent wrote them, one a line.
func commandLines(cmds []mailcmd.Command) string {
	lines := make([]string, 0, len(cmds))
	for _, c := range cmds {
		lines = append(lines, c.Line)
	}
	return strings.Join(lines, "\n")
}

// agentMailKind is the change an outcome of an agent's mail causes.
func agentMailKind(o rules.Outcome) ChangeKind {
	switch o {
	case rules.Reply:
		return ChangeAgentReply
	case rules.ReplyDirect:
		return ChangeAgentReplyDirect
	case rules.InternalNote:
		return ChangeAgentNote
	case rules.CommandsOnly:
		return ChangeAgentCommands
	case rules.Refused:
		return ChangeCommandError
	case rules.Held:
		return ChangeReplyHeld
	}
	return ChangeAgentMail
}

// MaxRepliesByMailPerHour bounds the replies one agent's mail sends on a ticket in an hour.
const MaxRepliesByMailPerHour = rules.MaxRepliesByMailPerHour

// customerAddressed reports whether the ticket's customer is in the mail's To or Cc: the agent
// answered them directly, copying the property.
func (s *Store) customerAddressed(ctx context.Context, tx *sqlx.Tx, ticketID int64, in Inbound) (bool, error) {
	var customer []string
	if err := s.db.Select(ctx, tx, &customer, s.qs.TicketCustomerEmail, ticketID); err != nil {
		return false, fmt.Errorf("tickets: agent mail: customer: %w", err)
	}
	if len(customer) == 0 {
		return false, nil
	}
	for _, a := range append(append([]Address{}, in.To...), in.Cc...) {
		if normEmail(a.Email) == customer[0] {
			return true, nil
		}
	}
	return false, nil
}

// answersInternal reports whether a mail answers a copy of an internal note or an error mail.
func (s *Store) answersInternal(ctx context.Context, tx *sqlx.Tx, propertyID int64, inReplyTo []string) (bool, error) {
	if len(inReplyTo) == 0 {
		return false, nil
	}
	var n int
	if err := s.db.Get(ctx, tx, &n, s.qs.ThreadIDIsInternal, propertyID, inReplyTo[0], true); err != nil {
		return false, fmt.Errorf("tickets: agent mail: %w", err)
	}
	return n > 0, nil
}

// MarkInternal records that a Message-ID postdesk sent is an internal mail (a note's copy, an
// error mail): a reply to it is internal too.
func (s *Store) MarkInternal(ctx context.Context, tx *sqlx.Tx, propertyID int64, messageID string) error {
	if err := s.db.Exec(ctx, tx, s.qs.ThreadIDMarkInternal, true, propertyID, messageID); err != nil {
		return fmt.Errorf("tickets: mark internal: %w", err)
	}
	return nil
}

// Unquoted is text without its quoted lines ("> …"), trimmed: what of an agent's reply may be
// sent to a customer.
func Unquoted(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// planCommands checks every command before any runs: it returns what to run, or what is wrong.
// What running it leaves for the hooks to be told after the mail's own change goes to then.
// The saved replies #reply inserts go to saved, rendered, in order.
func (s *Store) planCommands(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, a Agent, domain string, cmds []mailcmd.Command, then *[]Change, saved *[]string) (plan []func() error, errs []string, err error) {
	actor := AgentActor(a)
	sending := false
	for _, c := range cmds {
		st := rules.PlanCommand(rules.Command{Name: c.Name, Arg: c.Arg, Until: c.Until}, a.Email)
		switch st.Op {
		case rules.OpStatus:
			plan = append(plan, func() error {
				c, err := s.setStatus(ctx, tx, p, ticketID, actor, a.ID, st.Value)
				if c != nil {
					*then = append(*then, *c)
				}
				return err
			})
		case rules.OpPriority:
			plan = append(plan, func() error { return s.setPriority(ctx, tx, ticketID, actor, st.Value) })
		case rules.OpTag:
			plan = append(plan, func() error { return s.retag(ctx, tx, ticketID, actor, []string{st.Value}, nil) })
		case rules.OpUntag:
			plan = append(plan, func() error { return s.retag(ctx, tx, ticketID, actor, nil, []string{st.Value}) })
		case rules.OpSnooze:
			plan = append(plan, func() error { return s.snooze(ctx, tx, ticketID, actor, st.Until) })
		case rules.OpAssign:
			target := st.Value
			agentID, deptID, found, err := s.assignee(ctx, tx, p.ID, target)
			if err != nil {
				return nil, nil, err
			}
			if !found {
				errs = append(errs, fmt.Sprintf("%q: no agent or department %q on this property", c.Line, c.Arg))
				continue
			}
			plan = append(plan, func() error { return s.assign(ctx, tx, p, ticketID, a, agentID, deptID, target) })
		case rules.OpSend:
			if sending {
				continue // one mail sends the held reply once, however many #send lines it has
			}
			sending = true
			h, ok, err := s.heldOf(ctx, tx, ticketID, a)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				errs = append(errs, fmt.Sprintf("%q: no reply of yours is held on this ticket (sent already, or never held)", c.Line))
				continue
			}
			plan = append(plan, func() error { return s.release(ctx, tx, p, ticketID, a, h, domain) })
		case rules.OpReply:
			text, err := s.RenderSavedReply(ctx, tx, p, ticketID, a, st.Value)
			var unknown *UnknownSavedReply
			if errors.As(err, &unknown) {
				errs = append(errs, fmt.Sprintf("%q: %s", c.Line, unknown.Error()))
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			*saved = append(*saved, text)
		case rules.OpMerge:
			run, refused, err := s.planMerge(ctx, tx, p, ticketID, c.Line, st.Value, actor)
			if err != nil {
				return nil, nil, err
			}
			if refused != "" {
				errs = append(errs, refused)
				continue
			}
			plan = append(plan, run)
		}
	}
	return plan, errs, nil
}

// assignee resolves an assignment target inside tx (nil: outside a transaction): an agent of the
// property by email, else a department by name (case-insensitive).
func (s *Store) assignee(ctx context.Context, tx *sqlx.Tx, propertyID int64, target string) (agentID, deptID int64, found bool, err error) {
	if strings.Contains(target, "@") {
		a, ok, err := s.propertyAgent(ctx, tx, propertyID, target)
		return a.ID, 0, ok, err
	}
	var ids []int64
	if err := s.db.Select(ctx, tx, &ids, s.qs.DepartmentIDByName, propertyID, strings.ToLower(strings.TrimSpace(target))); err != nil {
		return 0, 0, false, fmt.Errorf("tickets: find department: %w", err)
	}
	if len(ids) == 0 {
		return 0, 0, false, nil
	}
	return 0, ids[0], true, nil
}

// forwardable reports whether a forwarded mail's sender can be a ticket's customer: a real
// address that is neither one of the property's own nor one of its agents (forwarding our own
// mail, or a colleague's, opens no ticket for them).
func (s *Store) forwardable(ctx context.Context, tx *sqlx.Tx, p Property, in Inbound) bool {
	e := normEmail(in.Forwarded.From.Email)
	if !ValidEmail(e) || e == normEmail(in.From.Email) || p.Addresses(in.Domain).Own(e) {
		return false
	}
	_, agent, err := s.propertyAgent(ctx, tx, p.ID, e)
	return err == nil && !agent
}

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
		subject = threading.StripForward(in.Subject)
	}
	d := Delivery{Decision: dec, Action: threading.Create}
	d.TicketID, d.TicketNumber, err = s.insertTicket(ctx, tx, p.ID, ticketSubject(subject), contact.ID, nil, now)
	if err != nil {
		return Delivery{}, err
	}
	actor := AgentActor(a)
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
	if err := s.db.Exec(ctx, tx, s.qs.TicketSetForwarded, contact.Spam, d.TicketID); err != nil {
		return Delivery{}, fmt.Errorf("tickets: count message: %w", err)
	}
	// The customer's mail, forwarded: they wait for us.
	if err := s.settleWaiting(ctx, tx, d.TicketID); err != nil {
		return Delivery{}, err
	}
	if err := s.addParticipant(ctx, tx, d.TicketID, fw.From.Email, "customer"); err != nil {
		return Delivery{}, err
	}
	if err := s.addParticipant(ctx, tx, d.TicketID, a.Email, "agent"); err != nil {
		return Delivery{}, err
	}
	// The agent acted: no acknowledgement to a customer who did not write to us, and the audience
	// hears of the ticket, not the agent who forwarded it.
	c := Change{Kind: ChangeTicketCreated, Property: p, TicketID: d.TicketID, MessageID: d.MessageID, AgentID: a.ID, Human: !contact.Spam, Received: true}
	if err := s.runHooks(ctx, tx, c); err != nil {
		return Delivery{}, fmt.Errorf("tickets: after delivery: %w", err)
	}
	return d, nil
}
