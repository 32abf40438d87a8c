package notify

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// away tells the ticket's audience (its assignee, or the department members, or the default
// department, or all agents) what happened while nobody was looking: a snooze ended, or a mail to
// the customer bounced. Agents only, as automatic mail — never an answer to the robot that
// reported the bounce, and never to the bouncing address itself.
func (n *Notifier) away(ctx context.Context, tx *sqlx.Tx, c tickets.Change) error {
	mc, err := n.store.MailContext(ctx, tx, c, false)
	if err != nil {
		return err
	}
	b := &batch{n: n, ctx: ctx, tx: tx, mc: mc, change: c}
	kind := templates.SnoozeEnded
	var bounce *templates.Bounce
	if c.Kind == tickets.ChangeContactBouncing {
		kind = templates.ContactBouncing
		bounce = &templates.Bounce{Address: mc.Contact.Email, Reason: c.Detail}
	}
	for _, a := range mc.Audience {
		if bounce != nil && strings.EqualFold(a.Email, bounce.Address) {
			continue
		}
		b.queue(intent{Template: kind, ToName: a.Name, To: a.Email, AgentID: a.ID, Automatic: "auto-generated", Bounce: bounce}, "")
	}
	return b.err
}
