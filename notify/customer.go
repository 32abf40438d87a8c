package notify

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/rating"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Automatic mail to customers: the acknowledgement (notify.go) and the close mail, the rules they
// share, and the texts a property sets for them.

// whyNotAutomatic says why no automatic mail may go to the ticket's customer now, "" when one may:
// the ticket's mail came through a mailing list (list), the address bounces or is blocked, or it
// had AutoPerHour automatic mails this hour (a loop). A failure is b.err.
func (b *batch) whyNotAutomatic(list bool) string {
	c := b.mc.Contact
	switch {
	case list:
		// RFC 3834 §2: no automatic answer to list mail; it would go to the list or its members.
		return "the mail came through a mailing list"
	case c.Bouncing:
		return "the address bounces"
	case c.Blocked:
		return "the sender is blocked"
	}
	n, err := outbox.RecentAutomatic(b.ctx, b.n.db, b.tx, c.Email, b.n.store.Now().Add(-time.Hour))
	if err != nil {
		b.err = err
		return ""
	}
	if n >= b.n.perHour {
		return fmt.Sprintf("%d automatic mails to this address in the last hour (loop protection)", n)
	}
	return ""
}

// closeMail tells the customer their ticket was closed and that a reply is welcome (a reply within
// the reopen window reopens it) — when the property asks for it (Property.CloseMail), once per
// close (the change is told once, by the transaction that closed the ticket). Only the customer
// gets it, not the ticket's Cc: it is an automatic notice about their request, and each more
// recipient of automatic mail is one more autoresponder to answer it. A close by marking spam,
// trashing or purging is no close; a spam ticket's close is not Human and never gets here.
func (b *batch) closeMail() {
	c := b.mc.Contact
	if b.err != nil || !b.mc.Property.CloseMail || c.Email == "" {
		return
	}
	list, err := b.n.store.ViaList(b.ctx, b.tx, b.mc.Ticket.ID)
	if b.err = err; err != nil {
		return
	}
	why := b.whyNotAutomatic(list)
	if b.err != nil {
		return
	}
	if why != "" {
		b.n.log.Warn("close mail not sent", slog.String("to", c.Email), slog.String("why", why))
		b.err = b.n.store.AddEvent(b.ctx, b.tx, b.mc.Ticket.ID, "close-mail-suppressed", "system", why)
		return
	}
	b.queue(intent{Template: templates.Closed, ToName: c.Name, To: c.Email, Automatic: "auto-generated"}, "")
}

// ratingLinks are the close mail's links that rate the ticket, for this close: signed for the
// ticket, its property, the close and each answer, working for rating.Window after the close
// (package rating serves them at web_url). None without a web address to link to.
func (b *batch) ratingLinks(mc tickets.MailContext) templates.RatingLinks {
	t := mc.Ticket
	if b.n.webURL == "" || t.ClosedAt == nil {
		return templates.RatingLinks{}
	}
	closed := t.ClosedAt.Truncate(time.Second)
	l := rating.Links(b.n.secret, b.n.webURL, t.ID, mc.Property.ID, closed)
	return templates.RatingLinks{Good: l[rating.Good], Okay: l[rating.Okay], Bad: l[rating.Bad], Until: closed.Add(rating.Window)}
}

// customText is the property's own text for a mail of kind in its locale (or the locale's base
// language), zero when it has none or kind's text cannot be set: the built-in text is used.
func (b *batch) customText(kind string, p tickets.Property) (templates.CustomText, error) {
	if !slices.Contains(templates.CustomKinds(), kind) {
		return templates.CustomText{}, nil
	}
	t, ok, err := b.n.store.PropertyText(b.ctx, b.tx, p.ID, kind, templates.CustomLocales(p.Locale))
	if err != nil || !ok {
		return templates.CustomText{}, err
	}
	return templates.CustomText{Subject: t.Subject, Body: t.Body}, nil
}
