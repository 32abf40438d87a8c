package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/mailcmd"
	"github.com/postdesk/postdesk/tickets/rules"
)

// Arrived is what of msgs came after the message an agent had seen (seen, a message id), not
// counting the agent's own (agent is their address): all of it, and whether it makes their reply
// stale (rules.MakesStale: a colleague's reply or note). The web inbox holds a reply on any
// arrival (it can show it on the spot); a reply by mail is held only when it is stale.
func Arrived(msgs []Message, seen int64, agent string) (arrived []Message, stale bool) {
	for _, m := range msgs {
		if m.ID <= seen || strings.EqualFold(m.From, agent) {
			continue
		}
		arrived = append(arrived, m)
		if rules.MakesStale(posted(m), agent) {
			stale = true
		}
	}
	return arrived, stale
}

// StaleOnly is what of msgs makes agent's reply stale.
func StaleOnly(msgs []Message, agent string) []Message {
	var out []Message
	for _, m := range msgs {
		if rules.MakesStale(posted(m), agent) {
			out = append(out, m)
		}
	}
	return out
}

func posted(m Message) rules.Arrival {
	p := rules.Arrival{From: m.From, Direction: m.Direction, Held: m.Held}
	if m.Direction == DirectionNote {
		text := m.Trimmed
		if strings.TrimSpace(text) == "" {
			text = m.Text
		}
		c := mailcmd.Parse(text, time.Time{})
		p.CommandsOnly = len(c.Commands)+len(c.Errors) > 0 && c.Body == ""
	}
	return p
}

// staleSince is what makes an agent's mail on a ticket stale: the colleagues' replies and notes
// after what the copies it answers (In-Reply-To, References) showed. A mail that answers no known
// copy of theirs (an old copy, a token only) is never stale.
func (s *Store) staleSince(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, a Agent, in Inbound) ([]Message, error) {
	ids := append(append([]string(nil), in.InReplyTo...), in.References...)
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > 50 {
		ids = ids[len(ids)-50:] // the copy answered is the last of References
	}
	q, args, err := sqlx.In(s.qs.ThreadIDSeenIn, p.ID, ticketID, a.ID, ids)
	if err != nil {
		return nil, fmt.Errorf("tickets: stale: %w", err)
	}
	var seen int64
	if err := tx.GetContext(ctx, &seen, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tickets: stale: %w", err)
	}
	if seen == 0 {
		return nil, nil
	}
	var after []Message
	if err := s.db.Select(ctx, tx, &after, s.qs.MessagesAfter, ticketID, seen); err != nil {
		return nil, fmt.Errorf("tickets: stale: %w", err)
	}
	arrived, stale := Arrived(after, seen, a.Email)
	if !stale {
		return nil, nil
	}
	return StaleOnly(arrived, a.Email), nil
}

// heldReply is an agent's held reply, as releasing it needs.
type heldReply struct {
	ID       int64  `db:"id"`
	To       string `db:"to_list"`
	Cc       string `db:"cc_list"`
	DedupKey string `db:"dedup_key"`
}

// heldOf is agent a's latest held reply on a ticket; ok is false when there is none.
func (s *Store) heldOf(ctx context.Context, tx *sqlx.Tx, ticketID int64, a Agent) (h heldReply, ok bool, err error) {
	var hs []heldReply
	if err := s.db.Select(ctx, tx, &hs, s.qs.MessageHeldOfAgent, ticketID, a.ID, true); err != nil {
		return h, false, fmt.Errorf("tickets: held reply: %w", err)
	}
	if len(hs) == 0 {
		return h, false, nil
	}
	return hs[0], true, nil
}

// release sends agent a's held reply h after all (#send): it becomes a reply sent now — a new
// message after everything the ticket holds, with the Message-ID, text and files it had — that
// the hooks send to the customer and Cc and copy to the parties, as any reply.
func (s *Store) release(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, a Agent, h heldReply, domain string) error {
	now := s.Now()
	var claimed []int64
	if err := s.db.Select(ctx, tx, &claimed, s.qs.MessageReleaseClaim, false, fmt.Sprintf("released %d", h.ID), h.ID, true); err != nil {
		return fmt.Errorf("tickets: send held reply: %w", err)
	}
	if len(claimed) == 0 {
		// Sent meanwhile, by a concurrent #send that committed first: it is sent once, and this
		// mail is stored like any other (an error would refuse it for good, retry after retry).
		return s.addEvent(ctx, tx, ticketID, "reply-released", AgentActor(a), "sent already by another #send", now)
	}
	var id int64
	if err := s.db.Get(ctx, tx, &id, s.qs.MessageReleaseCopy, h.ID); err != nil {
		return fmt.Errorf("tickets: send held reply: %w", err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.MessageReleaseDone, h.DedupKey, now, id); err != nil {
		return fmt.Errorf("tickets: send held reply: %w", err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.AttachmentsMove, id, h.ID); err != nil {
		return fmt.Errorf("tickets: send held reply: %w", err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.MessageDelete, h.ID); err != nil {
		return fmt.Errorf("tickets: send held reply: %w", err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.TicketTouch, now, ticketID); err != nil {
		return fmt.Errorf("tickets: send held reply: %w", err)
	}
	if err := s.settleWaiting(ctx, tx, ticketID); err != nil {
		return err
	}
	// Its To and Cc join the ticket only now that it goes out (a note's never do).
	in := Inbound{From: Address{Email: a.Email}, To: splitAddrs(h.To), Cc: splitAddrs(h.Cc), Domain: domain}
	if err := s.addParticipants(ctx, tx, p, ticketID, true, in); err != nil {
		return err
	}
	actor := AgentActor(a)
	if err := s.addEvent(ctx, tx, ticketID, "reply-released", actor, "sent anyway (#send)", now); err != nil {
		return err
	}
	if err := s.addEvent(ctx, tx, ticketID, "replied", actor, "by mail", now); err != nil {
		return err
	}
	return s.runHooks(ctx, tx, Change{Kind: ChangeAgentReply, Property: p, TicketID: ticketID, MessageID: id, AgentID: a.ID, Human: true, Received: true})
}

// splitAddrs reads back a list joinAddrs wrote.
func splitAddrs(list string) []Address {
	var out []Address
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, Address{Email: e})
		}
	}
	return out
}
