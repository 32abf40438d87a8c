package notify

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/emersion/go-message/mail"
	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// MailboxSignInNeeded queues, in tx, the notice to p's admins and owners that the OAuth2 sign-in
// of some of its mailboxes stopped working (templates.MailboxSignInNeeded). The caller calls it
// once per transition into the state, in the transaction that records it; the caller kicks the
// sender after the commit. It is automatic mail about no ticket, in the property's language. No
// token is in it.
func (n *Notifier) MailboxSignInNeeded(ctx context.Context, tx *sqlx.Tx, p tickets.Property, si templates.SignIn) error {
	admins, err := n.store.Admins(ctx, tx, p.ID)
	if err != nil {
		return fmt.Errorf("notify: sign-in needed: %w", err)
	}
	if len(admins) == 0 {
		n.log.WarnContext(ctx, "a mailbox needs sign-in again, and the property has no admin to tell", slog.String("property", p.Slug), slog.String("account", si.Account))
		return nil
	}
	from := p.From(n.domain)
	now := n.store.Now()
	for _, a := range admins {
		r, err := n.tpl.Render(templates.MailboxSignInNeeded, p.Locale, templates.Data{
			Property:  templates.Property{Name: p.Name, Address: from},
			Recipient: person(a.Name, a.Email),
			SignIn:    si,
		})
		if err != nil {
			return fmt.Errorf("notify: render %s: %w: %w", templates.MailboxSignInNeeded, errRender, err)
		}
		id := tickets.NewMessageID(n.domain)
		raw, err := compose.Build(compose.Mail{
			From:      mail.Address{Name: p.Name, Address: from},
			To:        []mail.Address{{Name: a.Name, Address: a.Email}},
			Subject:   r.Subject,
			MessageID: id,
			Automatic: "auto-generated",
			Loop:      p.Slug + "@" + n.domain,
			Text:      r.Text, HTML: r.HTML,
			Date: now,
		})
		if err != nil {
			return fmt.Errorf("notify: build %s: %w: %w", templates.MailboxSignInNeeded, errRender, err)
		}
		if _, err := outbox.Enqueue(ctx, n.db, tx, outbox.New{
			PropertyID: p.ID, MessageID: id, Kind: templates.MailboxSignInNeeded, Automatic: true,
			From: from, Rcpts: []string{a.Email}, Raw: raw,
		}, now); err != nil {
			return fmt.Errorf("notify: sign-in needed: %w", err)
		}
	}
	n.log.InfoContext(ctx, "mailbox sign-in notice queued", slog.String("property", p.Slug), slog.String("account", si.Account), slog.Int("admins", len(admins)))
	return nil
}
