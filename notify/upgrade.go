package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/tickets"
)

// errRender marks a mail that cannot be rendered from the templates (not a database error).
var errRender = errors.New("cannot render")

// RenderQueued is the upgrade step from a postdesk that rendered mail when it sent it: the rows
// such a version queued hold an intent and no bytes. Each is rendered now, from the ticket as it
// is (what that version would have sent), and its bytes stored, before the sender starts; serve
// runs it at start. A row whose ticket is gone or whose template cannot render is left without
// bytes, and the sender fails it with its reason on the ticket; a database error stops the step
// (and serve), so that no row is failed for a passing outage. It reports how many it rendered.
func (n *Notifier) RenderQueued(ctx context.Context, q *outbox.Queue) (int, error) {
	ms, err := q.Unrendered(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, m := range ms {
		log := n.log.With(slog.Int64("outbox_id", m.ID), slog.String("message_id", m.MessageID))
		var in intent
		if err := json.Unmarshal([]byte(m.Spec), &in); err != nil || in.Template == "" || in.To == "" {
			log.Error("mail queued by an older postdesk has no intent to render; the sender will fail it", slog.Any("err", err))
			continue
		}
		p, err := n.store.PropertyByID(ctx, m.PropertyID)
		if errors.Is(err, tickets.ErrNotFound) {
			log.Error("mail queued by an older postdesk: its property is gone; the sender will fail it")
			continue
		}
		if err != nil {
			return done, err
		}
		c := tickets.Change{Kind: tickets.ChangeKind(in.Kind), Property: p, TicketID: in.TicketID, MessageID: in.MessageID, AgentID: in.ActorID, Human: true}
		err = n.db.Tx(ctx, func(tx *sqlx.Tx) error {
			b := &batch{n: n, ctx: ctx, tx: tx, change: c}
			raw, err := b.render(in, m.MessageID)
			if err != nil {
				return err
			}
			return q.SetRaw(ctx, tx, m.ID, raw)
		})
		switch {
		case errors.Is(err, errRender) || errors.Is(err, tickets.ErrNotFound):
			log.Error("mail queued by an older postdesk cannot be rendered; the sender will fail it", slog.Any("err", err))
		case err != nil:
			return done, fmt.Errorf("notify: render mail %d queued by an older postdesk: %w", m.ID, err)
		default:
			done++
		}
	}
	return done, nil
}
