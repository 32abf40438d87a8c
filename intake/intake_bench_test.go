package intake

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// BenchmarkDeliverParallel measures the whole intake path — parse, classify, thread, commit — with
// concurrent deliveries of ~10 KB messages, half of them replies, on each engine.
func BenchmarkDeliverParallel(b *testing.B) {
	for _, e := range dbtest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			d := dbtest.Open(b, e)
			s := tickets.New(d)
			ctx := context.Background()
			p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
			if err != nil {
				b.Fatal(err)
			}
			secret, _ := s.Secret(ctx)
			// As in serve: every new ticket queues an acknowledgement and notifications.
			tpl, err := templates.Default()
			if err != nil {
				b.Fatal(err)
			}
			s.AddHook(notify.New(s, tpl, notify.Config{Domain: "localhost", Secret: secret}))
			for _, a := range []string{"alice", "bob"} {
				s.AddAgent(ctx, p.ID, a+"@acme.example", a, "")
			}
			pl := New(s, "localhost", secret, slog.New(slog.DiscardHandler))
			body := strings.Repeat("The printer keeps on jamming and the toner is leaking everywhere. ", 150)
			var n atomic.Int64
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					extra := ""
					if i > 100 && i%2 == 0 {
						extra = fmt.Sprintf("In-Reply-To: <b%d@customer.example>\r\n", i-100)
					}
					raw := fmt.Sprintf("From: c%d@customer.example\r\nTo: acme@localhost\r\nSubject: Order %d\r\nMessage-ID: <b%d@customer.example>\r\n%s\r\n%s\r\n", i%300, i, i, extra, body)
					if _, err := pl.Deliver(ctx, p, []string{"acme@localhost"}, Prepare("c@customer.example", []byte(raw))); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
