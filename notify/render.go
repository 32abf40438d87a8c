package notify

import (
	"fmt"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/mailcmd"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// full is the mail context with everything a rendering needs (the ticket's tags, the message's
// attachments, the thread's Message-IDs), read once per change, inside its transaction, and only
// when the change queues a mail.
func (b *batch) full() (tickets.MailContext, error) {
	if b.fullMC != nil {
		return *b.fullMC, nil
	}
	mc, err := b.n.store.MailContext(b.ctx, b.tx, b.change, true)
	if err != nil {
		return mc, err
	}
	b.fullMC = &mc
	return mc, nil
}

// render makes the bytes of one mail of this change, as the change left the ticket: the outbox
// row holds them, so the mail says what happened and the sender only sends bytes. Any error
// fails the change — the intake answers 451 and the sender of the mail that caused it retries —
// and never a mail already queued.
func (b *batch) render(in intent, messageID string) ([]byte, error) {
	mc, err := b.full()
	if err != nil {
		return nil, err
	}
	p := mc.Property
	d := data(mc, b.n.domain, person(in.ToName, in.To))
	if in.Template == templates.CommandError {
		d.Errors, d.Commands = in.Errors, mailcmd.Usage
	}
	if in.Loop != nil {
		d.Loop = *in.Loop
	}
	if in.Bounce != nil {
		d.Bounce = *in.Bounce
	}
	var files []compose.File
	if in.Attach && mc.Message != nil {
		files, d.Message.Attachments = b.agentFiles(p, mc.Message.Attachments, in.linkAll) // files.go
	}
	d.Since = in.Since
	if in.Template == templates.Closed {
		d.Rating = b.ratingLinks(mc) // customer.go
	}
	if d.CustomText, err = b.customText(in.Template, p); err != nil { // customer.go
		return nil, err
	}
	r, err := b.n.tpl.Render(in.Template, p.Locale, d)
	if err != nil {
		return nil, fmt.Errorf("notify: render %s: %w: %w", in.Template, errRender, err)
	}
	var cc []mail.Address
	for _, c := range in.Cc {
		cc = append(cc, mail.Address{Address: c})
	}
	if in.Files && mc.Message != nil {
		for _, a := range mc.Message.Attachments {
			files = append(files, compose.File{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
		}
	}
	tok := replytoken.Sign(b.n.secret, p.ID, replytoken.Claims{TicketID: in.TicketID, AgentID: in.AgentID})
	now := b.n.store.Now()
	irt, refs, header := mc.InReplyTo, mc.References, map[string]string(nil)
	if in.AgentID != 0 && templates.AgentConversation(in.Template) {
		// One conversation per ticket in the agent's mailbox (conversation.go).
		c, err := b.conversation(mc, in.AgentID, messageID, r.Subject, now)
		if err != nil {
			return nil, err
		}
		irt, refs, header = c.InReplyTo, c.References, c.header(in.Template)
	}
	raw, err := compose.Build(compose.Mail{
		From:      mail.Address{Name: p.Name, Address: p.From(b.n.domain)},
		To:        []mail.Address{{Name: in.ToName, Address: in.To}},
		Cc:        cc,
		ReplyTo:   replytoken.Address(p.Slug, tok, b.n.domain),
		Subject:   r.Subject,
		MessageID: messageID, InReplyTo: irt, References: refs, Header: header,
		Automatic: in.Automatic,
		Loop:      p.Slug + "@" + b.n.domain,
		Text:      r.Text, HTML: r.HTML, Files: files,
		Date: now,
	})
	if err != nil {
		return nil, fmt.Errorf("notify: build %s: %w: %w", in.Template, errRender, err)
	}
	if in.Attach && !in.linkAll && len(files) > 0 && int64(len(raw)) > b.n.maxMail {
		in.linkAll = true // too big to send with its files: the copy links them all
		return b.render(in, messageID)
	}
	// An agent's mail by mail keeps its own raw bytes; one written in postdesk is stored as the
	// mail sent, byte for byte, in the same transaction.
	if in.KeepRaw && mc.Message != nil && mc.Message.RawSize == 0 {
		if err := b.n.store.SetRaw(b.ctx, b.tx, mc.Message.ID, raw); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// data is what the templates see.
func data(mc tickets.MailContext, domain string, to templates.Person) templates.Data {
	t := mc.Ticket
	d := templates.Data{
		Property:  templates.Property{Name: mc.Property.Name, Address: mc.Property.From(domain)},
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
		d.AgentSignature = mc.Actor.Signature
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
			d.Message.Attachments = append(d.Message.Attachments, templates.File{Name: a.Filename, Size: a.Size})
		}
	}
	return d
}
