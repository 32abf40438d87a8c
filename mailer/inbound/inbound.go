// Package inbound is the one delivery contract between the ways mail comes in — the SMTP and
// LMTP server, the IMAP poller, the contact form — and intake, which stores it: what a delivered
// message is, and what a failure to store it means (temporary or permanent). Shaped after maddy's
// delivery, reduced to what postdesk needs: one message, one or more destinations, one result
// per destination.
package inbound

import (
	"context"
	"errors"
	"fmt"

	"github.com/postdesk/postdesk/tickets"
)

// Source says how a message came in (for logs and metrics).
type Source string

// Sources.
const (
	SMTP Source = "smtp"
	LMTP Source = "lmtp"
	IMAP Source = "imap" // fetched from a support mailbox
	Form Source = "form" // the HTTP API's contact form
)

// Target is where a message goes: a property, or something the receiver keeps of its own (mail
// to postmaster@). Destinations with the same Key are one delivery.
type Target interface{ Key() string }

// Property is a property as a Target. The IMAP poller and the contact form know the property a
// message is for; the SMTP server gets its targets from the receiver's recipient check.
type Property struct{ tickets.Property }

// Key is the property's slug.
func (p Property) Key() string { return p.Slug }

// Destination is one target of a message and the envelope recipients that named it. Rcpts is
// empty when there was no envelope (IMAP, the form): the receiver then uses the property's
// forwarding address, the address such mail was sent to.
type Destination struct {
	Target Target
	Rcpts  []string
}

// Message is one message to deliver. Raw is the message as received, byte for byte; it is
// parsed once however many destinations it has.
type Message struct {
	Source       Source
	EnvelopeFrom string // the SMTP MAIL FROM, or what stands in for it ("" is the null sender)
	Raw          []byte
	To           []Destination
}

// Result is the outcome of one destination. Err nil means committed, or committed before
// (Duplicate); otherwise it is temporary unless IsPermanent(Err).
type Result struct {
	Duplicate bool
	Err       error
}

// Receiver stores messages. Receive returns one result per destination, in order.
type Receiver interface {
	Receive(ctx context.Context, m Message) []Result
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc func(ctx context.Context, m Message) []Result

// Receive calls f.
func (f ReceiverFunc) Receive(ctx context.Context, m Message) []Result { return f(ctx, m) }

// DeliverTo delivers m to the one target t and returns its result.
func DeliverTo(ctx context.Context, r Receiver, m Message, t Target) Result {
	m.To = []Destination{{Target: t}}
	res := r.Receive(ctx, m)
	if len(res) != 1 {
		return Result{Err: fmt.Errorf("inbound: %d results for one destination", len(res))}
	}
	return res[0]
}

// ErrPermanent marks a failure that retrying cannot mend: a message that can never be stored.
// SMTP answers it 554 (the sender bounces it) instead of 451 forever; any other error is
// temporary.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err as a permanent failure.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// IsPermanent reports whether err is a permanent failure.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// ErrUnknownRecipient is what a recipient check returns (wrapped or not) for an address nobody
// here serves: a permanent refusal of that address (550), never of the message.
var ErrUnknownRecipient = errors.New("unknown recipient")
