package main

import (
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// A property whose acknowledgement is off sends the customer nothing when their mail opens a
// ticket; the agents are still told.
func TestAcknowledgementCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newDesk(t, e.DSN(t))
			must(t, d.dsn, "property", "set", "--slug", "acme", "--acknowledge=false")
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Quiet please\nMessage-ID: <q1@customer.example>\n\nNo auto-reply, thanks.\n")
			ms := d.sent(len(d.drained())) // every mail sent, once the outbox is empty
			if n := len(to(ms, "ann@customer.example")); n != 0 {
				t.Errorf("the customer got %d mails with the acknowledgement off", n)
			}
			if n := len(to(ms, "alice@acme.example")); n != 1 {
				t.Errorf("alice got %d notifications, want 1", n)
			}
			must(t, d.dsn, "property", "set", "--slug", "acme", "--acknowledge=true")
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Loud again\nMessage-ID: <q2@customer.example>\n\nAn acknowledgement now.\n")
			if n := len(to(d.sent(len(ms)+4), "ann@customer.example")); n != 1 {
				t.Errorf("with the acknowledgement on again the customer got %d mails, want 1", n)
			}
		})
	}
}
