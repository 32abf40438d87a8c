package sender_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/outbox"
)

// BenchmarkSenderThroughput queues b.N rendered ~10 KB mails and measures the sender delivering
// them to a local relay (one op = one mail handed over and settled), on each engine.
func BenchmarkSenderThroughput(b *testing.B) {
	body := make([]byte, 10<<10)
	for i := range body {
		body[i] = 'a' + byte(i%26)
		if i%77 == 76 {
			body[i] = '\n'
		}
	}
	for _, e := range dbtest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			d := dbtest.Open(b, e)
			rl := mailertest.Start(b)
			ctx := context.Background()
			if _, err := d.ExecContext(ctx, `INSERT INTO properties (slug, name, created_at) VALUES ('acme', 'Acme', CURRENT_TIMESTAMP)`); err != nil {
				b.Fatal(err)
			}
			var prop int64
			d.GetContext(ctx, &prop, `SELECT id FROM properties`)
			err := d.Tx(ctx, func(tx *sqlx.Tx) error {
				for i := range b.N {
					id := fmt.Sprintf("bench-%d@desk.example", i)
					raw := append([]byte("Subject: [#1] bench\r\nMessage-ID: <"+id+">\r\n\r\n"), body...)
					if _, err := outbox.Enqueue(ctx, d, tx, outbox.New{PropertyID: prop, MessageID: id, Kind: "bench", From: "acme@desk.example",
						Rcpts: []string{fmt.Sprintf("c%d@customer.example", i%100)}, Raw: raw}, time.Now()); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			tr, _ := relay.NewSMTPTransport(relay.Config{Addr: rl.Addr, TLS: "none"})
			s := sender.New(outbox.NewQueue(d, nil), tr, 8, 10*time.Millisecond, nil)
			runCtx, stop := context.WithCancel(ctx)
			b.ResetTimer()
			go s.Run(runCtx)
			rl.Wait(b, b.N, 10*time.Minute)
			b.StopTimer()
			stop()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}
