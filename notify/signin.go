package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// DefaultSignInLinkTTL is what a sign-in link mail says of how long the link works when
// Config.SignInLinkTTL is 0: auth's default.
const DefaultSignInLinkTTL = 15 * time.Minute

// SignInLink queues the mail that brings an agent a one-time sign-in link to the web inbox
// (made by the web package from auth.NewLink's token): to the agent, from the property's address,
// rendered now in locale (the property's when ""). It is automatic mail (Auto-Submitted:
// auto-generated, X-Auto-Response-Suppress, our loop header) about no ticket, with no reply
// address of ours, queued in its own transaction. The caller kicks the sender.
func (n *Notifier) SignInLink(ctx context.Context, p tickets.Property, to tickets.Address, link, locale string) error {
	if !tickets.ValidEmail(to.Email) {
		return fmt.Errorf("notify: sign-in link: %q is not a mail address", to.Email)
	}
	if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(link, " \t\r\n") {
		return fmt.Errorf("notify: sign-in link: %q is not a web address", link)
	}
	if locale == "" {
		locale = p.Locale
	}
	from := p.From(n.domain)
	r, err := n.tpl.Render(templates.SignInLink, locale, templates.Data{
		Property:    templates.Property{Name: p.Name, Address: from},
		Recipient:   person(to.Name, to.Email),
		Link:        link,
		LinkMinutes: int(n.linkTTL.Minutes()),
	})
	if err != nil {
		return fmt.Errorf("notify: render %s: %w: %w", templates.SignInLink, errRender, err)
	}
	now := n.store.Now()
	id := tickets.NewMessageID(n.domain)
	raw, err := compose.Build(compose.Mail{
		From:      mail.Address{Name: p.Name, Address: from},
		To:        []mail.Address{{Name: to.Name, Address: to.Email}},
		Subject:   r.Subject,
		MessageID: id,
		// Asked for by the agent, but written by a machine: nobody should auto-answer it, and if
		// it comes back to postdesk it is known as its own.
		Automatic: "auto-generated",
		Loop:      p.Slug + "@" + n.domain,
		Text:      r.Text, HTML: r.HTML,
		Date: now,
	})
	if err != nil {
		return fmt.Errorf("notify: build %s: %w: %w", templates.SignInLink, errRender, err)
	}
	err = n.db.Tx(ctx, func(tx *sqlx.Tx) error {
		_, err := outbox.Enqueue(ctx, n.db, tx, outbox.New{
			PropertyID: p.ID, MessageID: id, Kind: templates.SignInLink, Automatic: true,
			From: from, Rcpts: []string{to.Email}, Raw: raw,
		}, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("notify: sign-in link: %w", err)
	}
	// The link is a secret: it is never logged.
	n.log.InfoContext(ctx, "sign-in link queued", slog.String("property", p.Slug), slog.String("to", to.Email), slog.String("message_id", id))
	return nil
}
