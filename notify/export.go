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
	"github.com/postdesk/postdesk/tickets"
)

// Export is an export of tickets to mail to an agent, as a JSON attachment.
type Export struct {
	Property tickets.Property
	Domain   string // the mail domain: the From address when the property has none, the Message-ID
	By       string // the agent who asked
	To       string // an agent of the property
	Filename string
	Tickets  int
	Body     []byte
	Now      time.Time
}

// QueueExport queues the mail of an export, in its own transaction; the sender delivers it like
// any other. It returns the mail's Message-ID. The API and the web inbox both mail exports so.
func QueueExport(ctx context.Context, d *db.DB, e Export) (string, error) {
	from := e.Property.From(e.Domain)
	id := tickets.NewMessageID(e.Domain)
	raw, err := compose.Build(compose.Mail{
		From:      mail.Address{Name: e.Property.Name, Address: from},
		To:        []mail.Address{{Address: e.To}},
		Subject:   fmt.Sprintf("%s: export of %d tickets", e.Property.Name, e.Tickets),
		MessageID: id,
		// Requested by an agent, but written by a machine: nobody should auto-answer it, and if
		// it comes back to postdesk it is recognised as its own.
		Automatic: "auto-generated",
		Loop:      "export",
		Text:      fmt.Sprintf("The export of %d tickets of %s that %s asked for is attached (%s).\r\n", e.Tickets, e.Property.Name, e.By, e.Filename),
		Files:     []compose.File{{Filename: e.Filename, ContentType: "application/json; charset=utf-8", Data: e.Body}},
		Date:      e.Now,
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
