package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/tickets"
)

// Postmaster is the address RFC 5321 §4.5.1 requires a mail domain to accept.
const Postmaster = "postmaster"

// ForwardToAdmins forwards a mail kept for postmaster@domain to every admin and owner of any
// property, the original attached as message/rfc822, in tx (the one that kept it). Mail from
// robots (auto-replies, bounces, lists, our own) is kept and never forwarded, and the loop brake
// holds an address that sent more than loop_max such mails within loop_window.
func (n *Notifier) ForwardToAdmins(ctx context.Context, tx *sqlx.Tx, in tickets.Inbound, human bool) error {
	if !human {
		return nil
	}
	from := strings.ToLower(in.From.Email)
	recent, err := n.store.SystemMailsFrom(ctx, tx, Postmaster, from, n.store.Now().Add(-n.loopWindow))
	if err != nil {
		return fmt.Errorf("notify: postmaster: %w", err)
	}
	if recent > n.loopMax {
		n.log.Warn("postmaster mail not forwarded: suspected loop", slog.String("from", from), slog.Int("mails", recent))
		return nil
	}
	admins, err := n.store.AllAdmins(ctx, tx)
	if err != nil {
		return fmt.Errorf("notify: postmaster: %w", err)
	}
	if len(admins) == 0 {
		n.log.Warn("postmaster mail kept, but no property has an admin to forward it to", slog.String("from", from), slog.String("subject", in.Subject))
		return nil
	}
	self := Postmaster + "@" + n.domain
	for _, a := range admins {
		id := tickets.NewMessageID(n.domain)
		raw, err := compose.Build(compose.Mail{
			From:      mail.Address{Name: "postdesk", Address: self},
			To:        []mail.Address{{Name: a.Name, Address: a.Email}},
			Subject:   "Fwd: " + in.Subject,
			MessageID: id,
			Automatic: "auto-forwarded",
			Loop:      self,
			Text: fmt.Sprintf("A mail to %s arrived on %s from %s (envelope %s); it is attached, unchanged.\n",
				self, n.store.Now().Format(time.RFC1123Z), in.From.Email, in.EnvelopeFrom),
			Files: []compose.File{{Filename: "message.eml", ContentType: "message/rfc822", Data: in.Raw}},
			Date:  n.store.Now(),
		})
		if err != nil {
			return err
		}
		if _, err := outbox.Enqueue(ctx, n.db, tx, outbox.New{
			PropertyID: a.PropertyID, MessageID: id, Kind: "postmaster-forward", Automatic: true,
			From: self, Rcpts: []string{a.Email}, Raw: raw,
		}, n.store.Now()); err != nil {
			return err
		}
	}
	return nil
}
