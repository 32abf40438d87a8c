package tickets_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestContentHash(t *testing.T) {
	const body = "Hello,\r\nmy printer is broken.\r\n\r\nAnn\r\n"
	base := "From: ann@customer.example\r\nSubject: Printer\r\nMessage-ID: <p1@c>\r\n\r\n" + body
	same := map[string]string{
		"a relay added Received lines":   "Received: from mx2.example by mx1.example; Mon, 6 Jan 2025 10:00:05 +0100\r\n" + base,
		"a forwarder added Delivered-To": "Delivered-To: acme@desk.example\r\nX-Original-To: support@acme.example\r\n" + base,
		"LF line ends":                   strings.ReplaceAll(base, "\r\n", "\n"),
		"trailing blanks and lines":      strings.Replace(base, "broken.\r\n", "broken.  \t\r\n", 1) + "\r\n\r\n",
	}
	want := tickets.ContentHash([]byte(base))
	for name, raw := range same {
		if got := tickets.ContentHash([]byte(raw)); got != want {
			t.Errorf("%s: the hash changed", name)
		}
	}
	other := map[string]string{
		"another body":           strings.Replace(base, "printer", "scanner", 1),
		"a blank line inside":    strings.Replace(base, "Hello,\r\n", "Hello,\r\n\r\n", 1),
		"a list footer appended": base + "--\r\nYou received this message because you are subscribed to the group.\r\n",
		"no body":                "From: ann@customer.example\r\nSubject: Printer\r\n",
	}
	for name, raw := range other {
		if got := tickets.ContentHash([]byte(raw)); got == want {
			t.Errorf("%s: the same hash", name)
		}
	}
}

// rawMail is a customer's mail with Message-ID id, a Date and a body.
func rawMail(id, date, body string) tickets.Inbound {
	in := customerMail(id, "Printer")
	in.Raw = []byte("From: ann@customer.example\r\nSubject: Printer\r\nDate: " + date + "\r\nMessage-ID: <" + id + ">\r\n\r\n" + body)
	in.Date, _ = time.Parse(time.RFC1123Z, date)
	in.Text = body
	return in
}

const (
	date1 = "Mon, 06 Jan 2025 10:00:00 +0100"
	date2 = "Tue, 07 Jan 2025 11:30:00 +0100"
)

// A redelivery is the same Message-ID and the same body (or, changed on the way, the same Date);
// another mail that reuses the Message-ID is a new message, stored, the clash noted.
func TestReusedMessageIDIsANewMessage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, rawMail("reused@tickets.example", date1, "My printer is broken.\r\n"))

		retry := rawMail("reused@tickets.example", date1, "My printer is broken.\r\n")
		retry.Raw = append([]byte("Received: from relay2.example; "+date1+"\r\n"), retry.Raw...)
		if got := f.deliver(t, retry); !got.Duplicate || got.TicketID != first.TicketID {
			t.Fatalf("a retry with a new Received line: %+v, want a duplicate", got)
		}
		footer := rawMail("reused@tickets.example", date1, "My printer is broken.\r\n-- \r\nYou received this because you are subscribed.\r\n")
		if got := f.deliver(t, footer); !got.Duplicate {
			t.Fatalf("a copy with a list footer and the same Date: %+v, want a duplicate", got)
		}

		other := f.deliver(t, rawMail("reused@tickets.example", date2, "Your order 123 has shipped.\r\n"))
		if other.Duplicate || other.TicketID == 0 || other.TicketID == first.TicketID {
			t.Fatalf("another mail with the same Message-ID: %+v, want a new ticket", other)
		}
		det, err := f.s.Detail(f.ctx, f.p.ID, other.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		if len(det.Messages) != 1 || !strings.Contains(det.Messages[0].Problems, "Message-ID <reused@tickets.example> is also that of an earlier, different message") {
			t.Fatalf("problems of the second message: %q", det.Messages[0].Problems)
		}
		// The second one redelivered is the second one's duplicate.
		if got := f.deliver(t, rawMail("reused@tickets.example", date2, "Your order 123 has shipped.\r\n")); !got.Duplicate || got.TicketID != other.TicketID {
			t.Fatalf("the second mail again: %+v", got)
		}
		var n int
		if err := d.GetContext(f.ctx, &n, d.Rebind("SELECT COUNT(*) FROM messages WHERE message_id = ?"), "reused@tickets.example"); err != nil || n != 2 {
			t.Fatalf("%d messages with the Message-ID, want 2 (%v)", n, err)
		}
	})
}

// Messages stored before content hashes were kept are compared as before: by Message-ID alone.
func TestMessagesWithoutHashDedupByMessageID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.deliver(t, rawMail("old@c", date1, "first\r\n"))
		if _, err := d.ExecContext(f.ctx, "UPDATE messages SET content_hash = ''"); err != nil {
			t.Fatal(err)
		}
		if got := f.deliver(t, rawMail("old@c", date2, "second\r\n")); !got.Duplicate {
			t.Fatalf("%+v, want a duplicate of the message stored before hashes", got)
		}
	})
}

// Redeliveries racing each other store once; two different mails racing with one Message-ID are
// both stored (the loser of the race looks again).
func TestConcurrentReusedMessageID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := rawMail("race2@c", date1, "one\r\n")
				if i%2 == 1 {
					in = rawMail("race2@c", date2, "two\r\n")
				}
				_, err := f.s.Deliver(f.ctx, f.p, f.secret, in)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.GetContext(f.ctx, &n, d.Rebind("SELECT COUNT(*) FROM messages WHERE message_id = ?"), "race2@c"); err != nil || n != 2 {
			t.Fatalf("%d messages, want 2 (%v)", n, err)
		}
	})
}

// FuzzContentHash: a hop that rewrites line ends or adds a trace field never changes the hash.
func FuzzContentHash(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("Subject: x\n\nbody\r\n\r\n"))
	f.Add([]byte("no header separator"))
	f.Add([]byte("A: b\r\n\r\n\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h := tickets.ContentHash(raw)
		if !strings.Contains(string(raw), "\r") && tickets.ContentHash([]byte(strings.ReplaceAll(string(raw), "\n", "\r\n"))) != h {
			t.Fatalf("CRLF line ends changed the hash of %q", raw)
		}
		if strings.Contains(string(raw), "\n\n") && !strings.HasPrefix(string(raw), "\n") &&
			tickets.ContentHash(append([]byte("Received: from x\n"), raw...)) != h {
			t.Fatalf("a Received line changed the hash of %q", raw)
		}
	})
}
