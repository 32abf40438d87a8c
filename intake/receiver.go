package intake

import (
	"context"
	"errors"
	"fmt"

	"github.com/postdesk/postdesk/mailer"
	"github.com/postdesk/postdesk/tickets"
)

// target is a property as the SMTP server sees it.
type target struct{ tickets.Property }

func (t target) Key() string { return t.Slug }

// Accept implements mailer.Receiver.
func (p *Pipeline) Accept(ctx context.Context, rcpt string) (mailer.Target, error) {
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
		t, ok := b.Target.(target)
		if !ok {
			errs[i] = fmt.Errorf("intake: target %T is not a property", b.Target)
			continue
		}
		_, errs[i] = p.Deliver(ctx, t.Property, b.Rcpts, m)
	}
	return errs
}

var _ mailer.Receiver = (*Pipeline)(nil)
