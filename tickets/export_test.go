package tickets_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestExportTicketsWithEverything(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		date := time.Date(2026, 3, 31, 22, 15, 0, 0, time.UTC)
		secret := "attachment-bytes-that-must-not-leak"
		e.mail(t, e.a, "ann@customer.example", "x1@customer", "Printer on fire", withAttachment("photo.txt", secret),
			func(in *tickets.Inbound) {
				in.Cc = []tickets.Address{{Email: "boss@customer.example"}}
				in.Date = date
				in.Text = "It burns.\n\n-- \nAnn"
			})
		e.clk.Advance(time.Minute)
		e.mail(t, e.a, "ann@customer.example", "x2@customer", "Re: Printer on fire", inReplyTo("x1@customer"),
			func(in *tickets.Inbound) { in.References = []string{"x1@customer"} })
		e.clk.Advance(time.Minute)
		if _, err := e.s.Reply(e.ctx, e.a, 1, e.alice, tickets.Outgoing{Text: "Water."}, "x3@acme.example"); err != nil {
			t.Fatal(err)
		}
		e.exec(t, `UPDATE messages SET trimmed_text = 'It burns.' WHERE message_id = 'x1@customer'`)
		e.mail(t, e.a, "zed@customer.example", "x4@customer", "Second")
		if _, err := e.s.Trash(e.ctx, e.a, 2, "agent:alice@acme.example"); err != nil {
			t.Fatal(err)
		}

		ex, err := e.s.Export(e.ctx, e.a, []int64{2, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		if ex.Property != "acme" || !ex.ExportedAt.Equal(e.clk.Now()) || len(ex.Tickets) != 2 {
			t.Fatalf("export: %+v", ex)
		}
		if ex.Tickets[0].Number != 2 || ex.Tickets[0].DeletedAt == nil || ex.Tickets[1].Number != 1 || ex.Tickets[1].DeletedAt != nil {
			t.Fatalf("order or trash state: %+v", ex.Tickets)
		}
		tk := ex.Tickets[1]
		if tk.Subject != "Printer on fire" || tk.Customer != "ann@customer.example" || tk.MessageCount != 3 || len(tk.Messages) != 3 {
			t.Fatalf("ticket: %+v", tk)
		}
		if strings.Join(tk.Participants, ",") != "alice@acme.example,ann@customer.example,boss@customer.example" {
			t.Fatalf("participants %v", tk.Participants)
		}
		first, second, answer := tk.Messages[0], tk.Messages[1], tk.Messages[2]
		if first.From != "ann@customer.example" || first.FromName != "ann" || first.To != "support@acme.example" || first.Cc != "boss@customer.example" ||
			first.Subject != "Printer on fire" || first.MessageID != "x1@customer" || first.Date == nil || !first.Date.Equal(date) ||
			first.Trimmed != "It burns." || first.Text != "It burns.\n\n-- \nAnn" || first.Threading != "new" || first.Direction != "in" {
			t.Fatalf("first message: %+v", first)
		}
		if len(first.Attachments) != 1 {
			t.Fatalf("attachments: %+v", first.Attachments)
		}
		sum := sha256.Sum256([]byte(secret))
		if a := first.Attachments[0]; a.Filename != "photo.txt" || a.Size != int64(len(secret)) || a.SHA256 != hex.EncodeToString(sum[:]) || a.Data != nil {
			t.Fatalf("attachment: %+v", a)
		}
		if second.InReplyTo != "<x1@customer>" || second.References != "<x1@customer>" || second.Threading != "in-reply-to <x1@customer>" {
			t.Fatalf("second message: %+v", second)
		}
		if answer.Direction != "out" || answer.From != "alice@acme.example" || answer.Text != "Water." || answer.MessageID != "x3@acme.example" {
			t.Fatalf("answer: %+v", answer)
		}
		var kinds []string
		for _, ev := range tk.Events {
			kinds = append(kinds, ev.Kind)
		}
		if strings.Join(kinds, ",") != "created,replied" {
			t.Fatalf("events %v", kinds)
		}
		if ev := ex.Tickets[0].Events; len(ev) != 2 || ev[1].Kind != "trashed" || ev[1].Actor != "agent:alice@acme.example" {
			t.Fatalf("events of #2: %+v", ev)
		}
		js, err := json.Marshal(ex)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), `"data"`} {
			if strings.Contains(string(js), leak) {
				t.Fatalf("export JSON holds %q", leak)
			}
		}
		for _, want := range []string{`"trimmed":"It burns."`, `"threading":"in-reply-to \u003cx1@customer\u003e"`, `"message_count":3`, `"filename":"photo.txt"`} {
			if !strings.Contains(string(js), want) {
				t.Fatalf("export JSON lacks %s", want)
			}
		}

		_, err = e.s.Export(e.ctx, e.a, []int64{1, 999})
		wantErr(t, "unknown number", err, tickets.ErrNotFound)
		if !strings.Contains(err.Error(), "#999") {
			t.Fatalf("the error does not name the number: %v", err)
		}
		_, err = e.s.Export(e.ctx, e.a, nil)
		wantErr(t, "empty export", err, tickets.ErrInvalid)
		_, err = e.s.Export(e.ctx, e.b, []int64{1})
		wantErr(t, "B exports A's #1", err, tickets.ErrNotFound)
	})
}

func TestExportAtMost100(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		var numbers []int64
		for i := 1; i <= 101; i++ {
			e.mail(t, e.a, fmt.Sprintf("c%d@customer.example", i), fmt.Sprintf("n%d@customer", i), fmt.Sprintf("Ticket %d", i))
			numbers = append(numbers, int64(i))
		}
		// In reverse order, to see the order asked is kept.
		hundred := make([]int64, 100)
		for i := range hundred {
			hundred[i] = int64(100 - i)
		}
		ex, err := e.s.Export(e.ctx, e.a, hundred)
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.Tickets) != 100 {
			t.Fatalf("%d tickets", len(ex.Tickets))
		}
		for i, tk := range ex.Tickets {
			if tk.Number != hundred[i] || len(tk.Messages) != 1 || tk.Subject != fmt.Sprintf("Ticket %d", hundred[i]) ||
				tk.Messages[0].From != fmt.Sprintf("c%d@customer.example", hundred[i]) {
				t.Fatalf("ticket %d: %+v", i, tk)
			}
		}
		_, err = e.s.Export(e.ctx, e.a, numbers)
		wantErr(t, "101 tickets", err, tickets.ErrInvalid)
		if !strings.Contains(err.Error(), "at most 100 tickets") {
			t.Fatalf("message: %v", err)
		}
	})
}
