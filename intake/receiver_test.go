package intake

import (
	"context"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/inbound"
)

type strangeTarget struct{}

func (strangeTarget) Key() string { return "strange" }

// Mail without envelope recipients (IMAP, the form) is stored for its property, and a second
// delivery of it is a duplicate; a target that is no property can never be stored
// (permanent), and the other destinations are delivered all the same.
func TestReceiveThroughTheContract(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		raw := []byte("From: Ann <ann@customer.example>\r\nTo: support@acme.example\r\nSubject: Help\r\nMessage-ID: <c1@customer.example>\r\n\r\nHello\r\n")
		m := inbound.Message{Source: inbound.IMAP, EnvelopeFrom: "ann@customer.example", Raw: raw,
			To: []inbound.Destination{{Target: strangeTarget{}}, {Target: inbound.Property{Property: f.p}}}}
		res := f.pl.Receive(context.Background(), m)
		if len(res) != 2 || !inbound.IsPermanent(res[0].Err) || res[1].Err != nil || res[1].Duplicate {
			t.Fatalf("results %+v, want permanent then stored", res)
		}
		again := inbound.DeliverTo(context.Background(), f.pl, m, inbound.Property{Property: f.p})
		if again.Err != nil || !again.Duplicate {
			t.Fatalf("second delivery %+v, want a duplicate", again)
		}
	})
}
