package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/postdesk/postdesk/classify"
	"github.com/postdesk/postdesk/notify"

	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/tickets"
)

// postmasterTarget is postmaster@ the mail domain when no property takes its mail.
type postmasterTarget struct{}

func (postmasterTarget) Key() string { return "postmaster@" }

// isPostmaster reports whether rcpt is the postmaster of our mail domain: postmaster@domain in
// any case, or "postmaster" alone (RFC 5321 §4.5.1 requires both).
func (p *Pipeline) isPostmaster(rcpt string) bool {
	local, domain, found := strings.Cut(strings.TrimSpace(rcpt), "@")
	return strings.EqualFold(local, notify.Postmaster) && (!found || strings.EqualFold(domain, p.domain))
}

// Accept is the SMTP server's recipient check (smtpd.Receiver).
func (p *Pipeline) Accept(ctx context.Context, rcpt string) (inbound.Target, error) {
	if p.isPostmaster(rcpt) {
		if p.PostmasterProperty == "" {
			return postmasterTarget{}, nil
		}
		prop, err := p.store.PropertyBySlug(ctx, p.PostmasterProperty)
		if err != nil {
			return nil, fmt.Errorf("intake: postmaster property %q: %w", p.PostmasterProperty, err)
		}
		return inbound.Property{Property: prop}, nil
	}
	prop, err := p.Resolve(ctx, rcpt)
	if errors.Is(err, ErrUnknownRecipient) {
		return nil, fmt.Errorf("%w: %s", inbound.ErrUnknownRecipient, rcpt)
	}
	if err != nil {
		return nil, err
	}
	return inbound.Property{Property: prop}, nil
}

// Receive implements inbound.Receiver: the message is parsed and classified once, then stored for
// each destination. A destination without envelope recipients (IMAP, the contact form) was
// addressed to the property's forwarding address.
//
// Permanent, so that SMTP answers 554 instead of 451 forever: a target that is no property of
// ours, and what the store refuses as invalid (tickets.ErrInvalid). Everything else — the
// database down, busy or full — is temporary.
func (p *Pipeline) Receive(ctx context.Context, m inbound.Message) []inbound.Result {
	msg := Prepare(m.EnvelopeFrom, m.Raw)
	res := make([]inbound.Result, len(m.To))
	for i, dst := range m.To {
		switch t := dst.Target.(type) {
		case postmasterTarget:
			res[i].Err = p.postmaster(ctx, dst.Rcpts, msg)
		case inbound.Property:
			rcpts := dst.Rcpts
			if len(rcpts) == 0 {
				rcpts = []string{ForwardingAddress(t.Slug, p.domain)}
			}
			d, err := p.Deliver(ctx, t.Property, rcpts, msg)
			res[i] = inbound.Result{Duplicate: d.Duplicate, Err: err}
		default:
			res[i].Err = inbound.Permanent(fmt.Errorf("intake: target %T is not a property", dst.Target))
		}
		if errors.Is(res[i].Err, tickets.ErrInvalid) {
			res[i].Err = inbound.Permanent(res[i].Err)
		}
	}
	return res
}

// postmaster keeps mail to postmaster@ (no ticket) and forwards it to the admins.
func (p *Pipeline) postmaster(ctx context.Context, rcpts []string, m *Message) error {
	if p.Postmaster == nil {
		return errors.New("intake: no postmaster handler")
	}
	in := p.inbound(tickets.Property{}, rcpts, m)
	stored, err := p.Postmaster.KeepPostmasterMail(ctx, in, m.Class.Kind == classify.Human)
	if err != nil {
		p.log.ErrorContext(ctx, "postmaster mail not kept", slog.String("message_id", in.MessageID), slog.Any("err", err))
		return err
	}
	if stored && p.Stored != nil {
		p.Stored()
	}
	p.log.InfoContext(ctx, "postmaster mail kept", slog.String("message_id", in.MessageID), slog.String("from", in.From.Email), slog.Bool("duplicate", !stored))
	return nil
}

var _ interface {
	inbound.Receiver
	Accept(ctx context.Context, rcpt string) (inbound.Target, error)
} = (*Pipeline)(nil)
