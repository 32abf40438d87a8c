package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// attachedFiles is the files a mail carries attached, by name.
func attachedFiles(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = b
		}
	}
}

var linkRE = regexp.MustCompile(`https://desk\.example/files/([0-9A-Za-z._-]+)`)

// The agent's copy of a customer's message carries its files attached, in order, while they fit
// the property's limit; each other file is a link that names it, signed, for 30 days. A copy too
// big to send with its files links them all. The customer's own mail is not touched.
func TestAgentCopiesAttachWithinTheLimitAndLinkTheRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := tickets.New(d, tickets.WithClock(func() time.Time { return now }))
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		if p.AttachLimit != tickets.DefaultAttachLimit {
			t.Fatalf("a new property's limit is %d", p.AttachLimit)
		}
		if _, err := s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", ""); err != nil {
			t.Fatal(err)
		}
		secret, err := s.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := templates.Default()
		if err != nil {
			t.Fatal(err)
		}
		s.AddHook(New(s, tpl, Config{Domain: "desk.example", Secret: secret, WebURL: "https://desk.example/", MaxMailBytes: 40_000}))
		file := func(name string, n int) tickets.NewAttachment {
			return tickets.NewAttachment{Filename: name, ContentType: "application/octet-stream", Data: bytes.Repeat([]byte(name[:1]), n)}
		}
		copyOf := func(id string, files ...tickets.NewAttachment) []byte {
			t.Helper()
			if _, err := s.Deliver(ctx, p, secret, tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Files " + id, MessageID: id,
				Raw: []byte("Subject: files\r\n\r\nhi\r\n"), Text: "Here they are.", Kind: "human", Attachments: files}); err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := d.GetContext(ctx, &raw, d.Rebind(`SELECT raw FROM outbox WHERE rcpts = ? ORDER BY id DESC LIMIT 1`), "alice@acme.example"); err != nil {
				t.Fatal(err)
			}
			return raw
		}
		links := func(raw []byte) []filelink.Claims {
			t.Helper()
			text := strings.ReplaceAll(string(raw), "=\r\n", "") // quoted-printable soft breaks
			var out []filelink.Claims
			seen := map[string]bool{}
			for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
				if seen[m[1]] {
					continue // the text and the HTML
				}
				seen[m[1]] = true
				c, err := filelink.Verify(secret, m[1], now)
				if err != nil {
					t.Fatalf("link %s: %v", m[1], err)
				}
				if c.PropertyID != p.ID || !c.Expires.Equal(now.Add(filelink.DefaultTTL)) {
					t.Fatalf("link claims %+v", c)
				}
				out = append(out, c)
			}
			return out
		}
		ids := func(ticket int64) []int64 {
			var ids []int64
			if err := d.SelectContext(ctx, &ids, d.Rebind(`SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = ? ORDER BY a.id`), ticket); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		ticketID := func(number int64) int64 {
			tk, err := s.Ticket(ctx, p.ID, number)
			if err != nil {
				t.Fatal(err)
			}
			return tk.ID
		}

		// Within the default limit: all attached, none linked.
		raw := copyOf("f1@c", file("a.bin", 6000), file("b.bin", 5000))
		if got := attachedFiles(t, raw); len(got) != 2 || len(got["a.bin"]) != 6000 || len(got["b.bin"]) != 5000 || len(links(raw)) != 0 {
			t.Fatalf("within the limit: attached %d files, %d links", len(got), len(links(raw)))
		}

		// A limit of 10 kB: a.bin fits, b.bin does not, c.bin still does; b.bin is a link to it.
		if err := s.SetAttachLimit(ctx, p.ID, 10_000); err != nil {
			t.Fatal(err)
		}
		p.AttachLimit = 10_000
		raw = copyOf("f2@c", file("a.bin", 6000), file("b.bin", 5000), file("c.bin", 3000))
		got, ls := attachedFiles(t, raw), links(raw)
		if len(got) != 2 || got["a.bin"] == nil || got["c.bin"] == nil || len(ls) != 1 || ls[0].AttachmentID != ids(ticketID(2))[1] {
			t.Fatalf("above the limit: attached %v, links %+v", got, ls)
		}
		if !strings.Contains(string(raw), "b.bin (5.0 kB), download until March 31, 2026 at 09:00 UTC:") {
			t.Fatalf("the copy does not say where b.bin is:\n%s", raw)
		}

		// Files that fit the limit but make a copy larger than the mail cap: all linked.
		if err := s.SetAttachLimit(ctx, p.ID, tickets.DefaultAttachLimit); err != nil {
			t.Fatal(err)
		}
		p.AttachLimit = tickets.DefaultAttachLimit
		raw = copyOf("f3@c", file("a.bin", 20_000), file("b.bin", 20_000))
		if got, ls := attachedFiles(t, raw), links(raw); len(got) != 0 || len(ls) != 2 || len(raw) > 40_000 {
			t.Fatalf("above the mail cap: attached %d files, %d links, %d bytes", len(got), len(ls), len(raw))
		}

		// A limit of 0: always links.
		if err := s.SetAttachLimit(ctx, p.ID, 0); err != nil {
			t.Fatal(err)
		}
		p.AttachLimit = 0
		raw = copyOf("f4@c", file("a.bin", 10))
		if got, ls := attachedFiles(t, raw), links(raw); len(got) != 0 || len(ls) != 1 {
			t.Fatalf("limit 0: attached %d files, %d links", len(got), len(ls))
		}
		if err := s.SetAttachLimit(ctx, p.ID, -1); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("a negative limit: %v", err)
		}
	})
}
