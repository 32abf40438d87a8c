package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

func TestSignInLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		s := tickets.New(d, tickets.WithClock(func() time.Time { return now }))
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme Support", FromAddress: "support@acme.example", Locale: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := templates.Default()
		if err != nil {
			t.Fatal(err)
		}
		n := New(s, tpl, Config{Domain: "desk.example", SignInLinkTTL: 10 * time.Minute})
		const link = "https://desk.acme.example/login/Zq0x7CfLr2Wm9TbKd4PjVn8sHy1GaUe6Ro3Xi5Mw_Bk"
		alice := tickets.Address{Name: "Alice Martin", Email: "alice@acme.example"}
		if err := n.SignInLink(ctx, p, alice, link, ""); err != nil {
			t.Fatal(err)
		}
		if err := n.SignInLink(ctx, p, alice, link, "es"); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Kind      string `db:"kind"`
			Automatic bool   `db:"automatic"`
			From      string `db:"mail_from"`
			Rcpts     string `db:"rcpts"`
			Status    string `db:"status"`
			TicketID  *int64 `db:"ticket_id"`
			Raw       []byte `db:"raw"`
		}
		if err := d.SelectContext(ctx, &rows, `SELECT kind, automatic, mail_from, rcpts, status, ticket_id, raw FROM outbox ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows queued, want 2", len(rows))
		}
		for i, want := range []struct{ subject, minutes string }{{"Votre lien de connexion à Acme Support", "10 minutes"}, {"Su enlace de acceso a Acme Support", "10 minutos"}} {
			r := rows[i]
			if r.Kind != templates.SignInLink || !r.Automatic || r.From != "support@acme.example" || r.Rcpts != "alice@acme.example" || r.Status != "queued" || r.TicketID != nil {
				t.Errorf("row %d: %+v", i, r)
			}
			if !bytes.Contains(r.Raw, []byte(link)) {
				t.Errorf("row %d: the bytes lack the link:\n%s", i, r.Raw)
			}
			m := mailparse.Parse(r.Raw)
			if m.From == nil || m.From.Email != "support@acme.example" || len(m.To) != 1 || m.To[0].Email != "alice@acme.example" {
				t.Errorf("row %d: From %v, To %v", i, m.From, m.To)
			}
			if m.Subject != want.subject || strings.Contains(m.Subject, "[#") {
				t.Errorf("row %d: subject %q, want %q", i, m.Subject, want.subject)
			}
			if m.AutoSubmitted != "auto-generated" || m.Header.Get(compose.LoopHeader) != "acme@desk.example" || m.Header.Get("X-Auto-Response-Suppress") != "All" {
				t.Errorf("row %d: not marked automatic: %v", i, m.Header)
			}
			if len(m.ReplyTo) != 0 || m.MessageID == "" || len(m.Problems) != 0 {
				t.Errorf("row %d: Reply-To %v, Message-ID %q, problems %v", i, m.ReplyTo, m.MessageID, m.Problems)
			}
			if !strings.Contains(m.Text, link) || !strings.Contains(m.Text, want.minutes) || !strings.Contains(m.HTML, `href="`+link+`"`) {
				t.Errorf("row %d: the link is not in the text and the HTML:\n%s\n%s", i, m.Text, m.HTML)
			}
		}

		// Refused, and nothing queued: a link that is no web address, an address that is none.
		for _, c := range []struct {
			to   tickets.Address
			link string
		}{
			{alice, "javascript:alert(1)"},
			{alice, "/login/abc"},
			{alice, link + "\r\nBcc: x@y"},
			{tickets.Address{Email: "not an address"}, link},
			{tickets.Address{Email: "a@b.example,c@d.example"}, link},
		} {
			if err := n.SignInLink(ctx, p, c.to, c.link, ""); err == nil {
				t.Errorf("SignInLink(%q, %q) queued", c.to.Email, c.link)
			}
		}
		var count int
		if err := d.GetContext(ctx, &count, `SELECT COUNT(*) FROM outbox`); err != nil || count != 2 {
			t.Errorf("%d rows after refusals (%v), want 2", count, err)
		}
	})
}
