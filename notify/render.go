package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/mailcmd"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Render implements mailer.Renderer: it makes the bytes of a mail a change queued, from the ticket
// as it is now.
func (n *Notifier) Render(ctx context.Context, m outbox.Mail) ([]byte, error) {
	var in intent
	if err := json.Unmarshal([]byte(m.Spec), &in); err != nil {
		return nil, fmt.Errorf("notify: mail %d: bad spec: %w", m.ID, err)
	}
	p, err := n.store.PropertyByID(ctx, m.PropertyID)
	if err != nil {
		return nil, err
	}
	mc, err := n.store.MailContext(ctx, nil, tickets.Change{Kind: tickets.ChangeKind(in.Kind), Property: p, TicketID: in.TicketID, MessageID: in.MessageID, AgentID: in.ActorID, Human: true}, true)
	if err != nil {
		return nil, err
	}
	d := data(mc, n.domain, person(in.ToName, in.To))
	if in.Template == templates.CommandError {
		d.Errors, d.Commands = in.Errors, mailcmd.Usage
	}
	if in.Loop != nil {
		d.Loop = *in.Loop
	}
	r, err := n.tpl.Render(in.Template, p.Locale, d)
	if err != nil {
		return nil, fmt.Errorf("notify: render %s: %w", in.Template, err)
	}
	var cc []mail.Address
	for _, c := range in.Cc {
		cc = append(cc, mail.Address{Address: c})
	}
	var files []tickets.Attachment
	if in.Files && mc.Message != nil {
		files = mc.Message.Attachments
	}
	tok := replytoken.Sign(n.secret, p.ID, replytoken.Claims{TicketID: in.TicketID, AgentID: in.AgentID})
	raw, err := build(spec{
		From:      mail.Address{Name: p.Name, Address: fromAddress(p, n.domain)},
		To:        []mail.Address{{Name: in.ToName, Address: in.To}},
		Cc:        cc,
		ReplyTo:   replytoken.Address(p.Slug, tok, n.domain),
		Subject:   r.Subject,
		MessageID: m.MessageID, InReplyTo: mc.InReplyTo, References: mc.References,
		Automatic: in.Automatic,
		Loop:      p.Slug + "@" + n.domain,
		Text:      r.Text, HTML: r.HTML, Files: files,
		Date: n.store.Now(),
	})
	if err != nil {
		return nil, err
	}
	// An agent's mail by mail keeps its own raw bytes; one written in postdesk gets the mail sent.
	if in.KeepRaw && mc.Message != nil && mc.Message.RawSize == 0 {
		if err := n.store.SetRaw(ctx, nil, mc.Message.ID, raw); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// data is what the templates see.
func data(mc tickets.MailContext, domain string, to templates.Person) templates.Data {
	t := mc.Ticket
	d := templates.Data{
		Property:  templates.Property{Name: mc.Property.Name, Address: fromAddress(mc.Property, domain)},
		Recipient: to,
		FollowsUp: mc.FollowsUp,
		Ticket: templates.Ticket{Number: t.Number, Subject: t.Subject, Status: t.Status, Priority: t.Priority,
			Customer: person(mc.Contact.Name, mc.Contact.Email), Tags: t.Tags},
	}
	if t.Assignee != nil {
		d.Ticket.Assignee = *t.Assignee
	}
	if t.Department != nil {
		d.Ticket.Department = *t.Department
	}
	if mc.Actor != nil {
		d.Actor = person(mc.Actor.Name, mc.Actor.Email)
	}
	if m := mc.Message; m != nil {
		// Mail shows the reply as written; the quoted history is in the thread already.
		text := m.Trimmed
		if strings.TrimSpace(text) == "" {
			text = m.Text
		}
		d.Message = templates.Message{From: person(m.FromName, m.From), Text: text, Date: m.CreatedAt}
		d.Note = m.Direction == tickets.DirectionNote
		for _, a := range m.Attachments {
			d.Message.Attachments = append(d.Message.Attachments, a.Filename)
		}
	}
	return d
}
