package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// Five customers answer one mail that many received (marketing's offer, sent to support and to
// customers in Bcc): each answer is a ticket of its own, acknowledged to its sender, and an agent's
// reply on one of them goes to that customer alone.
func TestFiveCustomersAnsweringOneMailOverSMTP(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newDesk(t, e.DSN(t))
			offer := "From: Acme News <news@marketing.example>\nTo: support@acme.example\nSubject: Our spring offer\nMessage-ID: <offer-1@marketing.example>\n\n20% off.\n"
			if err := sendMail(t, d.smtp, "news@marketing.example", []string{"acme@desk.example"}, offer); err != nil {
				t.Fatal(err)
			}
			d.sent(4) // its acknowledgement and three agents told
			for i := 1; i <= 5; i++ {
				c := fmt.Sprintf("c%d@customer.example", i)
				answer := fmt.Sprintf("From: %s\nTo: support@acme.example\nSubject: Re: Our spring offer\nMessage-ID: <a%d@customer.example>\nIn-Reply-To: <offer-1@marketing.example>\nReferences: <offer-1@marketing.example>\n\nCustomer %d wants it.\n", c, i, i)
				if err := sendMail(t, d.smtp, c, []string{"acme@desk.example"}, answer); err != nil {
					t.Fatal(err)
				}
			}
			ms := d.sent(24)
			for i := 1; i <= 5; i++ {
				c := fmt.Sprintf("c%d@customer.example", i)
				ack := to(ms, c)
				if len(ack) != 1 || len(ack[0].rcpts) != 1 || !strings.Contains(ack[0].h.Get("Subject"), fmt.Sprintf("[#%d]", i+1)) {
					t.Fatalf("acknowledgement to %s: %+v", c, ack)
				}
			}
			for _, m := range to(ms, "alice@acme.example")[1:] {
				if ev := m.h.Get("X-Postdesk-Event"); ev != "new-ticket" {
					t.Fatalf("agents told of a %s, want a new ticket: %q", ev, m.h.Get("Subject"))
				}
			}
			out := must(t, d.dsn, "tickets", "show", "--property", "acme", "4")
			if !strings.Contains(out, "c3@customer.example") || !strings.Contains(out, "answers <offer-1@marketing.example>") || !strings.Contains(out, "follows up #1") {
				t.Fatalf("c3's ticket:\n%s", out)
			}
			body := filepath.Join(t.TempDir(), "reply.txt")
			os.WriteFile(body, []byte("Here is your code.\n"), 0o600)
			d.cli("tickets", "reply", "--property", "acme", "--as", "bob@acme.example", "4", "--body-file", body)
			// The reply goes to c3 alone; the other agents get copies (every party but the sender).
			var replies []sentMail
			for _, m := range d.sent(len(d.drained()))[24:] {
				if strings.Contains(m.raw, "Here is your code.") && slices.Contains(m.rcpts, "c3@customer.example") {
					replies = append(replies, m)
				}
			}
			if len(replies) != 1 || len(replies[0].rcpts) != 1 {
				t.Fatalf("the reply on c3's ticket: %d mails to c3 (%v)", len(replies), replies)
			}
		})
	}
}
