package notify

import (
	"log/slog"
	"strings"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
)

// heldNoticesPerHour bounds the held-reply notices one agent gets: an autoresponder answering old
// copies must not turn into a storm (its replies stay held all the same).
const heldNoticesPerHour = 10

// A held notice shows the last sinceMax messages sent since, sinceText runes of each: enough to
// see what a colleague answered; the ticket holds the rest.
const (
	sinceMax  = 10
	sinceText = 600
)

// replyHeld tells the agent whose reply by mail was held as stale what was sent since the copy
// they answered, quoting their reply; answering "#send" sends it anyway. Only to that agent, and
// internal: an answer to it is never sent to the customer as a reply.
func (b *batch) replyHeld() {
	a := b.mc.Actor
	if b.err != nil || a == nil {
		return
	}
	n, err := outbox.RecentOfKind(b.ctx, b.n.db, b.tx, templates.ReplyHeld, a.Email, b.n.store.Now().Add(-time.Hour))
	if b.err = err; err != nil {
		return
	}
	if n >= heldNoticesPerHour {
		b.n.log.Warn("held reply notice not sent", slog.String("to", a.Email), slog.Int("sent_last_hour", n))
		return
	}
	var since []templates.Message
	for _, m := range b.change.Since[max(0, len(b.change.Since)-sinceMax):] {
		text := m.Trimmed
		if strings.TrimSpace(text) == "" {
			text = m.Text
		}
		since = append(since, templates.Message{From: person(m.FromName, m.From), Text: cut(strings.TrimSpace(text), sinceText), Date: m.CreatedAt, Note: m.Direction == "note"})
	}
	b.queue(intent{Template: templates.ReplyHeld, ToName: a.Name, To: a.Email, AgentID: a.ID, Automatic: "auto-replied", Since: since}, "")
}

// cut is s shortened to at most n runes, "…" marking the cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n])) + " …"
}
