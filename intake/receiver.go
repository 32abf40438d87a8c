package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/postdesk/postdesk/classify"
	"github.com/postdesk/postdesk/notify"

	"github.com/postdesk/postdesk/mailer"
	"github.com/postdesk/postdesk/tickets"
)

// target is a property as the SMTP server sees it.
type target struct{ tickets.Property }

func (t target) Key() string { return t.Slug }

// postmasterTarget is postmaster@ the mail domain when no property takes its mail.
type postmasterTarget struct{}

func (postmasterTarget) Key() string { return "postmaster@" }

// isPostmaster reports whether rcpt is the postmaster of our mail domain: postmaster@domain in
// any case, or "postmaster" alone (RFC 5321 §4.5.1 requires both).
func (p *Pipeline) isPostmaster(rcpt string) bool {
	local, domain, found := strings.Cut(strings.TrimSpace(rcpt), "@")
	return strings.EqualFold(local, notify.Postmaster) && (!found || strings.EqualFold(domain, p.domain))
}

// Accept implements mailer.Receiver.
func (p *Pipeline) Accept(ctx context.Context, rcpt string) (mailer.Target, error) {
	if p.isPostmaster(rcpt) {
		if p.PostmasterProperty == "" {
			return postmasterTarget{}, nil
		}
		prop, err := p.store.PropertyBySlug(ctx, p.PostmasterProperty)
		if err != nil {
			return nil, fmt.Errorf("intake: postmaster property %q: %w", p.PostmasterProperty, err)
		}
		return target{prop}, nil
	}
	prop, err := p.Resolve(ctx, rcpt)
	if errors.Is(err, ErrUnknownRecipient) {
		return nil, fmt.Errorf("%w: %s", mailer.ErrUnknownRecipient, rcpt)
	}
	if err != nil {
		return nil, err
	}
	return target{prop}, nil
}

// Receive implements mailer.Receiver: the message is parsed and classified once, then stored for
// each property it was addressed to.
func (p *Pipeline) Receive(ctx context.Context, envelopeFrom string, raw []byte, batches []mailer.Batch) []error {
	m := Prepare(envelopeFrom, raw)
	errs := make([]error, len(batches))
	for i, b := range batches {
		if _, ok := b.Target.(postmasterTarget); ok {
			errs[i] = p.postmaster(ctx, b.Rcpts, m)
			continue
		}
		t, ok := b.Target.(target)
		if !ok {
			errs[i] = fmt.Errorf("intake: target %T is not a property", b.Target)
			continue
		}
		_, errs[i] = p.Deliver(ctx, t.Property, b.Rcpts, m)
	}
	return errs
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

var _ mailer.Receiver = (*Pipeline)(nil)
