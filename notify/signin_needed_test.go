package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

func TestMailboxSignInNeededTellsTheAdminsInTheirLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := tickets.New(d, tickets.WithClock(func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }))
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme Support", FromAddress: "support@acme.example", Locale: "it"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct{ email, role string }{{"alice@acme.example", "admin"}, {"olga@acme.example", "owner"}, {"bob@acme.example", "support"}} {
			if _, err := s.AddAgent(ctx, p.ID, a.email, a.email, a.role); err != nil {
				t.Fatal(err)
			}
		}
		tpl, err := templates.Default()
		if err != nil {
			t.Fatal(err)
		}
		n := New(s, tpl, Config{Domain: "desk.example"})
		si := templates.SignIn{Provider: "Google", Account: "support@acme.example", Mailboxes: []string{"support@acme.example (INBOX)"}, Reason: "invalid_grant: Token has been expired or revoked.", Command: "postdesk mailbox signin 3"}
		if err := d.Tx(ctx, func(tx *sqlx.Tx) error { return n.MailboxSignInNeeded(ctx, tx, p, si) }); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Kind      string `db:"kind"`
			Automatic bool   `db:"automatic"`
			Rcpts     string `db:"rcpts"`
			TicketID  *int64 `db:"ticket_id"`
			Raw       []byte `db:"raw"`
		}
		if err := d.SelectContext(ctx, &rows, `SELECT kind, automatic, rcpts, ticket_id, raw FROM outbox ORDER BY rcpts`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Rcpts != "alice@acme.example" || rows[1].Rcpts != "olga@acme.example" {
			t.Fatalf("queued %+v, want one mail to each admin and owner", rows)
		}
		for _, r := range rows {
			raw := string(r.Raw)
			if r.Kind != templates.MailboxSignInNeeded || !r.Automatic || r.TicketID != nil || !strings.Contains(raw, "Auto-Submitted: auto-generated") ||
				!strings.Contains(raw, "postdesk mailbox signin 3") || !strings.Contains(raw, "occorre accedere di nuovo") {
				t.Errorf("row %+v:\n%s", r.Kind, raw)
			}
		}
	})
}
