// Package intake turns received mail into tickets: it decides which property a recipient address
// belongs to, then parses, classifies and hands each message to the ticket store — the one path
// that SMTP, LMTP and the IMAP poller share.
package intake

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/postdesk/postdesk/classify"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/tickets"
)

// ErrUnknownRecipient is returned for an address that is no property's: such mail is refused, so
// postdesk is never an open relay.
var ErrUnknownRecipient = errors.New("intake: no such recipient")

// Store is what intake needs of the ticket store.
type Store interface {
	PropertyBySlug(ctx context.Context, slug string) (tickets.Property, error)
	PropertiesByFromAddress(ctx context.Context, addr string) ([]tickets.Property, error)
	Deliver(ctx context.Context, p tickets.Property, secret []byte, in tickets.Inbound) (tickets.Delivery, error)
	AgentByEmail(ctx context.Context, propertyID int64, email string) (tickets.Agent, error)
}

// Pipeline is the intake path. It is safe for concurrent use.
type Pipeline struct {
	store  Store
	domain string
	secret []byte
	log    *slog.Logger
	// Bounces, when set, is told about bounces of postdesk's own mail.
	Bounces BounceRecorder
	// Stored, when set, is called after each committed delivery (the sender is kicked with it).
	Stored func()
	// RequireDKIM makes commands in agents' replies run only when the mail carries a passing DKIM
	// signature aligned with its From domain.
	RequireDKIM bool
	// LookupTXT resolves DKIM keys; nil means DNS (tests inject their own).
	LookupTXT func(domain string) ([]string, error)
	// PostmasterProperty, when set, is the slug of the property that gets mail to postmaster@
	// as tickets; else Postmaster keeps it and forwards it to the admins.
	PostmasterProperty string
	Postmaster         PostmasterSink
}

// PostmasterSink keeps mail to postmaster@ that no property takes: once (stored false for a
// redelivery), and forwarded to the admins when human.
type PostmasterSink interface {
	KeepPostmasterMail(ctx context.Context, in tickets.Inbound, human bool) (stored bool, err error)
}

// BounceRecorder records that a mail postdesk sent bounced: the mail with Message-ID messageID
// failed (reason says for whom and why), and the addresses in hard, which bounced for good, are
// marked bouncing — in one transaction, which tells the agents when the customer's address bounces.
type BounceRecorder interface {
	RecordBounce(ctx context.Context, propertyID int64, messageID, reason string, hard []string) error
}

// New returns a pipeline for mail addressed to domain (the forwarding domain).
func New(store Store, domain string, secret []byte, log *slog.Logger) *Pipeline {
	return &Pipeline{store: store, domain: strings.ToLower(domain), secret: secret, log: log}
}

// ForwardingAddress is where a property's mail is forwarded to.
func ForwardingAddress(slug, domain string) string { return slug + "@" + strings.ToLower(domain) }

// Resolve finds the property a recipient address belongs to: <slug>@domain, <slug>+<token>@domain,
// or the property's own address when an MTA routes it here directly.
func (p *Pipeline) Resolve(ctx context.Context, rcpt string) (tickets.Property, error) {
	slug, token, domain, ok := replytoken.Split(rcpt)
	if !ok {
		return tickets.Property{}, ErrUnknownRecipient
	}
	if domain == p.domain {
		if token != "" && !replytoken.WellFormed(token) {
			return tickets.Property{}, ErrUnknownRecipient
		}
		prop, err := p.store.PropertyBySlug(ctx, slug)
		if errors.Is(err, tickets.ErrNotFound) {
			return tickets.Property{}, ErrUnknownRecipient
		}
		return prop, err
	}
	ps, err := p.store.PropertiesByFromAddress(ctx, strings.ToLower(strings.TrimSpace(rcpt)))
	if err != nil {
		return tickets.Property{}, err
	}
	if len(ps) == 0 {
		return tickets.Property{}, ErrUnknownRecipient
	}
	return ps[0], nil
}

// Message is a received message, parsed and classified once however many properties it goes to.
type Message struct {
	EnvelopeFrom string
	Raw          []byte
	Parsed       *mailparse.Message
	Class        classify.Result
}

// Prepare parses and classifies raw. It never fails: what cannot be read is noted on the message
// and the raw bytes are kept.
func Prepare(envelopeFrom string, raw []byte) *Message {
	m := &Message{
		EnvelopeFrom: strings.ToValidUTF8(strings.ToLower(strings.TrimSpace(envelopeFrom)), ""),
		Raw:          raw,
		Parsed:       mailparse.Parse(raw),
	}
	m.Class = classify.Classify(m.Parsed, envelopeFrom) // the parsed message: raw is read once
	// Our own mail coming back (a forwarding loop, a copy to the support address, a group that
	// is the support address passing it on) is never acted on; it is still stored if it threads.
	if (m.Class.Kind == classify.Human || m.Class.Kind == classify.List) && m.Parsed.Header.Get(compose.LoopHeader) != "" {
		m.Class.Kind, m.Class.Reason = "loop", "header "+compose.LoopHeader
	}
	return m
}

// Deliver stores m for property prop, which it was addressed to as rcpts (the envelope recipients
// of that property). The error is nil only once the message is committed, or known to be already.
func (p *Pipeline) Deliver(ctx context.Context, prop tickets.Property, rcpts []string, m *Message) (tickets.Delivery, error) {
	in := p.inbound(prop, rcpts, m)
	var err error
	if in.Unverified, err = p.unverified(ctx, prop, m, in); err != nil {
		return tickets.Delivery{}, err
	}
	d, err := p.store.Deliver(ctx, prop, p.secret, in)
	if err == nil && m.Class.Kind == classify.Bounce {
		// Also for a duplicate: a retry after a failure here must finish the job.
		err = p.bounced(ctx, prop, m)
	}
	if err != nil {
		p.log.ErrorContext(ctx, "delivery failed", slog.String("property", prop.Slug), slog.String("message_id", in.MessageID), slog.Any("err", err))
		return d, err
	}
	if p.Stored != nil && !d.Duplicate {
		p.Stored()
	}
	p.log.InfoContext(ctx, "delivered",
		slog.String("property", prop.Slug),
		slog.String("message_id", in.MessageID),
		slog.String("from", in.From.Email),
		slog.String("kind", in.Kind),
		slog.Bool("duplicate", d.Duplicate),
		slog.Bool("kept_as_system_mail", d.Kept),
		slog.String("action", string(d.Action)),
		slog.Int64("ticket", d.TicketNumber),
		slog.String("threading", d.Decision.String()))
	return d, nil
}

// bounced records a bounce of one of our mails: that mail failed, and hard-bounced addresses are
// marked as bouncing so no more automatic mail goes to them.
func (p *Pipeline) bounced(ctx context.Context, prop tickets.Property, m *Message) error {
	if p.Bounces == nil || m.Class.OriginalMessageID == "" {
		return nil
	}
	var failed, hard []string
	for _, r := range m.Class.Recipients {
		failed = append(failed, strings.TrimSpace(r.Address+" "+r.Status+" "+r.Diagnostic))
		if r.Hard {
			hard = append(hard, r.Address)
		}
	}
	reason := strings.Join(failed, "; ")
	if reason == "" {
		reason = m.Class.Reason
	}
	return p.Bounces.RecordBounce(ctx, prop.ID, m.Class.OriginalMessageID, reason, hard)
}

func (p *Pipeline) inbound(prop tickets.Property, rcpts []string, m *Message) tickets.Inbound {
	pm := m.Parsed
	in := tickets.Inbound{
		EnvelopeFrom: m.EnvelopeFrom,
		Subject:      pm.Subject,
		MessageID:    pm.MessageID,
		InReplyTo:    pm.InReplyTo,
		Date:         pm.Date,
		Text:         pm.Text,
		HTML:         pm.HTML,
		Raw:          m.Raw,
		Kind:         string(m.Class.Kind),
		Problems:     pm.Problems,
		To:           addrs(pm.To),
		// A bounce or auto-reply names the mail it answers; that finds the ticket even when the
		// robot kept no In-Reply-To (robots are stored on a ticket, never open one).
		References: appendIf(pm.References, m.Class.Kind != classify.Human, m.Class.OriginalMessageID),
		Cc:         addrs(pm.Cc),
		Domain:     p.domain, // addresses there, and the from address, are the property's own
	}
	switch {
	case pm.From != nil && pm.From.Email != "":
		in.From = tickets.Address{Name: pm.From.Name, Email: pm.From.Email}
	case pm.Sender != nil && pm.Sender.Email != "":
		in.From = tickets.Address{Name: pm.Sender.Name, Email: pm.Sender.Email}
	default:
		// No From: the envelope sender is the best we know (RFC 5321 §4.4 return path).
		in.From = tickets.Address{Email: m.EnvelopeFrom}
		if m.EnvelopeFrom != "" {
			in.Problems = append(in.Problems, "no From header: using the envelope sender")
		}
	}
	if listMail(m) {
		in.ListMail = true
		in.ListPost = listPost(pm.Header)
		if a, rewritten := p.listAuthor(prop, m, in.From, in.ListPost); rewritten {
			in.From = a
			if a.Email == "" {
				in.Problems = append(in.Problems, "From is the list's address and the mail names no original sender")
			}
		}
	}
	// Token-bearing addresses, strongest first.
	for _, r := range rcpts {
		in.Recipients = append(in.Recipients, strings.ToLower(r))
	}
	in.Recipients = append(in.Recipients, pm.DeliveredTo...)
	for _, a := range append(append([]mailparse.Address{}, pm.To...), pm.Cc...) {
		in.Recipients = append(in.Recipients, a.Email)
	}
	in.Trimmed = trim(pm)
	in.Forwarded = forwarded(pm)
	for _, a := range pm.Attachments {
		in.Attachments = append(in.Attachments, tickets.NewAttachment{
			Filename: a.Filename, ContentType: a.ContentType, ContentID: a.ContentID, Inline: a.Inline, Data: a.Data,
		})
	}
	return in
}

func addrs(as []mailparse.Address) []tickets.Address {
	out := make([]tickets.Address, 0, len(as))
	for _, a := range as {
		out = append(out, tickets.Address{Name: a.Name, Email: a.Email})
	}
	return out
}

func appendIf(ids []string, cond bool, id string) []string {
	if !cond || id == "" {
		return ids
	}
	return append(append([]string(nil), ids...), id)
}
