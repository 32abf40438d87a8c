package intake

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// TestDeliverLargeRoundTrip stores messages whose text, HTML, raw bytes and attachment are each a
// MiB and a half — more than one piece, were a store to send them in pieces of a MiB — and reads
// every one back unchanged.
func TestDeliverLargeRoundTrip(t *testing.T) {
	line := "Grüße — the printer log, line after line of it, with a € and a ✓ in it.\r\n"
	text := strings.Repeat(line, (3<<19)/len(line)) // 1.5 MiB
	quoted := "\r\nOn Mon, 2 Mar 2026 at 09:00, Acme Support <acme@desk.example> wrote:\r\n" + strings.Repeat("> "+line, 2000)
	html := "<html><body>" + strings.Repeat("<p>"+strings.TrimSpace(line)+"</p>\r\n", (3<<19)/(len(line)+8)) + "</body></html>\r\n"
	data := bytes.Repeat([]byte{0, 1, 2, 0xff, '\\', 'x', '\'', 0}, 3<<16) // 1.5 MiB, bytes bytea must escape
	enc := base64.StdEncoding.EncodeToString(data)
	var att strings.Builder
	for len(enc) > 76 {
		att.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	att.WriteString(enc + "\r\n")
	mails := map[string]string{
		"text":              "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text,
		"text with a quote": "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text + quoted,
		"alternative and attachment": "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n" +
			"Content-Type: multipart/alternative; boundary=a\r\n\r\n" +
			"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
			"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "--a--\r\n" +
			"--m\r\nContent-Type: application/octet-stream; name=log.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" + att.String() + "--m--\r\n",
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		i := 0
		for name, body := range mails {
			i++
			raw := []byte(fmt.Sprintf("From: Carol <carol@customer.example>\r\nTo: acme@desk.example\r\nSubject: Large %d\r\nMessage-ID: <large-%d@customer.example>\r\nMIME-Version: 1.0\r\n", i, i) + body)
			m := Prepare("carol@customer.example", raw)
			want := f.pl.inbound(f.p, []string{"acme@desk.example"}, m)
			dl, err := f.pl.Deliver(ctx, f.p, []string{"acme@desk.example"}, m)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			detail, err := f.s.Detail(ctx, f.p.ID, dl.TicketNumber)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := detail.Messages[0]
			for _, c := range []struct{ field, got, want string }{
				{"text", got.Text, want.Text}, {"trimmed", got.Trimmed, want.Trimmed}, {"html", got.HTML, want.HTML},
			} {
				if c.got != c.want {
					t.Errorf("%s: %s: stored %d bytes, want %d", name, c.field, len(c.got), len(c.want))
				}
			}
			if len(want.Text) < 1<<20 {
				t.Errorf("%s: text of %d bytes, want a large one", name, len(want.Text))
			}
			if r, err := f.s.Raw(ctx, f.p.ID, got.ID); err != nil || !bytes.Equal(r, raw) {
				t.Errorf("%s: raw: stored %d bytes (%v), want %d", name, len(r), err, len(raw))
			}
			if len(got.Attachments) != len(want.Attachments) {
				t.Fatalf("%s: %d attachments stored, want %d", name, len(got.Attachments), len(want.Attachments))
			}
			for k, a := range got.Attachments {
				full, err := f.s.Attachment(ctx, f.p.ID, a.ID)
				if err != nil || !bytes.Equal(full.Data, want.Attachments[k].Data) || !bytes.Equal(full.Data, data) {
					t.Errorf("%s: attachment %d: stored %d bytes (%v), want %d", name, k, len(full.Data), err, len(data))
				}
			}
		}
	})
}
