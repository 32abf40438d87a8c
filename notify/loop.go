package notify

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Loop brake defaults: more than LoopMax mails from one address on one ticket within LoopWindow
// is a suspected loop. Ten people writing on a ticket within an hour never trip it; two
// auto-responders answering each other do within seconds.
const (
	DefaultLoopMax    = 10
	DefaultLoopWindow = 10 * time.Minute
)

// loopHeld is the one brake over every mail postdesk sends because of a mail it received — to the
// customer, to agents, notes, copies and error mails alike. It reports whether the change's
// sender is held as a suspected loop on the ticket: the mail is stored (the caller's
// transaction goes on), but causes no mail. The first time an address is held, the agents
// concerned and the property's admins are told, once. A hold ends when the address has been
// quiet on the ticket for the window.
func (b *batch) loopHeld() bool {
	c, mc, n := b.change, b.mc, b.n
	if !c.Received || mc.Message == nil || mc.Message.From == "" {
		return false
	}
	from := strings.ToLower(mc.Message.From)
	now := n.store.Now().UTC().Truncate(time.Microsecond)
	last, held, err := n.store.LoopHoldLast(b.ctx, b.tx, mc.Ticket.ID, from)
	if b.err = err; err != nil {
		return true
	}
	if held {
		if now.Sub(last) <= n.loopWindow {
			b.err = n.store.ExtendLoopHold(b.ctx, b.tx, mc.Ticket.ID, from, now)
			return true
		}
		// Quiet for a whole window: the hold ends, and this mail is judged afresh.
		if b.err = n.store.EndLoopHold(b.ctx, b.tx, mc.Ticket.ID, from); b.err != nil {
			return true
		}
	}
	count, err := n.store.MailsFrom(b.ctx, b.tx, mc.Ticket.ID, from, now.Add(-n.loopWindow))
	if b.err = err; err != nil {
		return true
	}
	if count <= n.loopMax {
		return false
	}
	// Two mails from the address at once may both get here: the one whose hold goes in tells.
	started, err := n.store.StartLoopHold(b.ctx, b.tx, mc.Ticket.ID, from, now)
	if b.err = err; err != nil || !started {
		return true
	}
	minutes := int(n.loopWindow.Round(time.Minute) / time.Minute)
	why := fmt.Sprintf("%s sent %d mails within %d minutes: suspected mail loop; their mail on this ticket is stored and no longer sent on, copied or answered", from, count, minutes)
	n.log.Warn("suspected mail loop", slog.Int64("ticket_id", mc.Ticket.ID), slog.String("from", from), slog.Int("mails", count))
	if b.err = n.store.AddEvent(b.ctx, b.tx, mc.Ticket.ID, "loop-suspected", "system", why); b.err != nil {
		return true
	}
	b.tellLoop(from, templates.Loop{Sender: from, Count: count, Minutes: minutes})
	return true
}

// tellLoop sends the loop notice to the agents concerned — the agent whose address it is, the
// agents involved in the ticket (or else its audience) — and the property's admins and owners.
// Their answers to it are internal, and a responder's answer from a held address is held too.
func (b *batch) tellLoop(from string, l templates.Loop) {
	admins, err := b.n.store.Admins(b.ctx, b.tx, b.mc.Property.ID)
	if b.err = err; err != nil {
		return
	}
	concerned := b.mc.Involved
	if len(concerned) == 0 {
		concerned = b.mc.Audience
	}
	if b.mc.Actor != nil {
		concerned = union([]tickets.Agent{*b.mc.Actor}, concerned)
	}
	for _, a := range union(concerned, admins) {
		b.queue(intent{Template: templates.LoopSuspected, ToName: a.Name, To: a.Email, AgentID: a.ID, Automatic: "auto-generated", Loop: &l}, "")
	}
}
