package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Export is an export of tickets to mail to an agent, as a JSON attachment.
type Export struct {
	Property tickets.Property
	Domain   string // the mail domain: the From address when the property has none, the Message-ID
	By       string // the agent who asked
	ByName   string // … and their name, or ""
	To       string // an agent of the property
	ToName   string // … and their name, or ""
	Filename string
	Tickets  int
	Body     []byte
	Now      time.Time
	// Templates renders the mail (templates.Export, in the property's locale); nil: the built-in
	// templates.
	Templates *templates.Set
}

// QueueExport queues the mail of an export, in its own transaction; the sender delivers it like
// any other. It returns the mail's Message-ID. The API and the web inbox both mail exports so.
func QueueExport(ctx context.Context, d *db.DB, e Export) (string, error) {
	from := e.Property.From(e.Domain)
	id := tickets.NewMessageID(e.Domain)
	tpl := e.Templates
	if tpl == nil {
		var err error
		if tpl, err = templates.Default(); err != nil {
			return "", fmt.Errorf("notify: export mail: %w", err)
		}
	}
	r, err := tpl.Render(templates.Export, e.Property.Locale, templates.Data{
		Property:  templates.Property{Name: e.Property.Name, Address: from},
		Recipient: person(e.ToName, e.To),
		Export:    templates.ExportFile{Tickets: e.Tickets, Filename: e.Filename, By: person(e.ByName, e.By)},
	})
	if err != nil {
		return "", fmt.Errorf("notify: render %s: %w: %w", templates.Export, errRender, err)
	}
	raw, err := compose.Build(compose.Mail{
		From:      mail.Address{Name: e.Property.Name, Address: from},
		To:        []mail.Address{{Name: e.ToName, Address: e.To}},
		Subject:   r.Subject,
		MessageID: id,
		// Requested by an agent, but written by a machine: nobody should auto-answer it, and if
		// it comes back to postdesk it is recognised as its own.
		Automatic: "auto-generated",
		Loop:      "export",
		Text:      r.Text, HTML: r.HTML,
		Files: []compose.File{{Filename: e.Filename, ContentType: "application/json; charset=utf-8", Data: e.Body}},
		Date:  e.Now,
	})
	if err != nil {
		return "", fmt.Errorf("notify: export mail: %w", err)
	}
	err = d.Tx(ctx, func(tx *sqlx.Tx) error {
		_, err := outbox.Enqueue(ctx, d, tx, outbox.New{
			PropertyID: e.Property.ID, MessageID: id, Kind: "export", From: from, Rcpts: []string{e.To}, Raw: raw,
		}, e.Now)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("notify: export mail: %w", err)
	}
	return id, nil
}

// Templates returns the templates n renders with (for QueueExport's Export.Templates).
func (n *Notifier) Templates() *templates.Set { return n.tpl }
