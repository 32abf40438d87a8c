package notify

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/rating"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

var rateLink = regexp.MustCompile(`https://desk\.acme\.example/rate/([0-9A-Za-z._-]+)`)

// The close mail carries one link per answer, signed for this ticket, its property and this
// close, in the text and the HTML version; a ticket closed again gets links for the new close.
// Without a web address there is nothing to link to, and the mail says nothing of ratings.
func TestTheCloseMailCarriesRatingLinksForThisClose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		s := tickets.New(d, tickets.WithClock(clk.Now))
		ctx := context.Background()
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		s.SetCloseMail(ctx, p.ID, true)
		p, _ = s.PropertyByID(ctx, p.ID)
		alice, _ := s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
		secret, _ := s.Secret(ctx)
		tpl, _ := templates.Default()
		s.AddHook(New(s, tpl, Config{Domain: "desk.example", Secret: secret, WebURL: "https://desk.acme.example/"}))
		in := tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Printer", MessageID: "q1@c", Raw: []byte("q1"), Kind: "human"}
		del, err := s.Deliver(ctx, p, secret, in)
		if err != nil {
			t.Fatal(err)
		}
		closeMail := func() *mailparse.Message {
			t.Helper()
			var raws [][]byte
			if err := d.SelectContext(ctx, &raws, d.Rebind(`SELECT raw FROM outbox WHERE kind = ? ORDER BY id DESC`), templates.Closed); err != nil || len(raws) == 0 {
				t.Fatalf("no close mail: %v", err)
			}
			return mailparse.Parse(raws[0])
		}
		var closes []time.Time
		for range 2 {
			tk, err := s.Apply(ctx, p, alice, 1, tickets.Op{Action: "close"})
			if err != nil {
				t.Fatal(err)
			}
			closes = append(closes, tk.ClosedAt.Truncate(time.Second))
			m := closeMail()
			for _, body := range []string{m.Text, m.HTML} {
				links := rateLink.FindAllStringSubmatch(body, -1)
				if len(links) != 3 {
					t.Fatalf("%d rating links in:\n%s", len(links), body)
				}
				for i, l := range links {
					c, err := rating.Verify(secret, l[1], clk.Now())
					want := rating.Claims{TicketID: del.TicketID, PropertyID: p.ID, ClosedAt: closes[len(closes)-1], Choice: rating.Choices[i]}
					if err != nil || c != want {
						t.Fatalf("link %d: %+v %v, want %+v", i, c, err, want)
					}
				}
			}
			clk.Advance(24 * time.Hour)
			if _, err := s.Apply(ctx, p, alice, 1, tickets.Op{Action: "reopen"}); err != nil {
				t.Fatal(err)
			}
		}
		if closes[0].Equal(closes[1]) {
			t.Fatal("both closes at one time")
		}
		s2 := tickets.New(d, tickets.WithClock(clk.Now))
		s2.AddHook(New(s2, tpl, Config{Domain: "desk.example", Secret: secret}))
		if _, err := s2.Apply(ctx, p, alice, 1, tickets.Op{Action: "close"}); err != nil {
			t.Fatal(err)
		}
		if m := closeMail(); rateLink.MatchString(m.Text+m.HTML) || regexp.MustCompile(`/rate/|How did we do`).MatchString(m.Text+m.HTML) {
			t.Fatalf("links without a web address:\n%s", m.Text)
		}
	})
}
