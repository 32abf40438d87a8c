package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/metrics"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("metrics lack %q", l)
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%s", body)
	}
}

func TestDeliveriesAreCountedBySourceAndReason(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := metrics.New(d, nil)
		wantLines(t, scrape(t, m), `postdesk_mail_threaded_total{reason="in-reply-to"} 0`, `postdesk_mail_accepted_total{source="form"} 0`)
		m.Delivered(metrics.SourceMail, tickets.Delivery{Decision: threading.Decision{Reason: threading.NoEvidence}}, nil)
		m.Delivered(metrics.SourceMail, tickets.Delivery{Decision: threading.Decision{Reason: threading.ByInReplyTo}}, nil)
		m.Delivered(metrics.SourceMail, tickets.Delivery{Decision: threading.Decision{Reason: threading.ByInReplyTo}}, nil)
		m.Delivered(metrics.SourceMail, tickets.Delivery{Duplicate: true}, nil)
		m.Delivered(metrics.SourceForm, tickets.Delivery{Decision: threading.Decision{Reason: threading.NoEvidence}}, nil)
		m.Delivered(metrics.SourceMail, tickets.Delivery{}, errors.New("database down"))
		m.ObserveHTTP("GET /healthz", 200, time.Millisecond)
		wantLines(t, scrape(t, m),
			`postdesk_mail_accepted_total{source="mail"} 4`,
			`postdesk_mail_accepted_total{source="form"} 1`,
			`postdesk_mail_intake_errors_total{source="mail"} 1`,
			`postdesk_mail_threaded_total{reason="new"} 2`,
			`postdesk_mail_threaded_total{reason="in-reply-to"} 2`,
			`postdesk_mail_threaded_total{reason="duplicate"} 1`,
			`postdesk_http_requests_total{code="200",route="GET /healthz"} 1`)
	})
}

// fakeStore is the intake store the counting wrapper forwards to.
type fakeStore struct {
	intake.Store
	reason threading.Reason
}

func (f fakeStore) PropertyBySlug(context.Context, string) (tickets.Property, error) {
	return tickets.Property{}, nil
}
func (f fakeStore) PropertiesByFromAddress(context.Context, string) ([]tickets.Property, error) {
	return nil, nil
}
func (f fakeStore) Deliver(ctx context.Context, p tickets.Property, secret []byte, in tickets.Inbound) (tickets.Delivery, error) {
	return tickets.Delivery{Decision: threading.Decision{Reason: f.reason}}, nil
}

func TestTheWrappedStoreCountsWithTheSourceOfItsContext(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := metrics.New(d, nil)
		s := m.Store(fakeStore{reason: threading.ByToken})
		s.Deliver(context.Background(), tickets.Property{}, nil, tickets.Inbound{})
		s.Deliver(metrics.WithSource(context.Background(), metrics.SourceForm), tickets.Property{}, nil, tickets.Inbound{})
		wantLines(t, scrape(t, m), `postdesk_mail_accepted_total{source="mail"} 1`, `postdesk_mail_accepted_total{source="form"} 1`,
			`postdesk_mail_threaded_total{reason="reply-token"} 2`)
	})
}

var lagLine = regexp.MustCompile(`postdesk_imap_poll_lag_seconds\{mailbox="([^"]+)",property="acme"\} (\S+)`)

func TestOutboxAndMailboxesAreReadAtScrapeTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := tickets.New(d)
		p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		statuses := []string{"queued", "queued", "sending", "sent", "sent", "sent", "failed", "uncertain"}
		err = d.Tx(ctx, func(tx *sqlx.Tx) error {
			for i, st := range statuses {
				id, err := outbox.Enqueue(ctx, d, tx, outbox.New{PropertyID: p.ID, MessageID: strconv.Itoa(i) + "@x", Kind: "test", From: "a@x.example", Rcpts: []string{"b@x.example"}, Raw: []byte("x")}, time.Now())
				if err != nil {
					return err
				}
				if err := d.Exec(ctx, tx, `UPDATE outbox SET status = ? WHERE id = ?`, st, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		secret, _ := s.Secret(ctx)
		past := func() time.Time { return time.Now().Add(-90 * time.Second) }
		mb := mailbox.NewStore(d, secret, mailbox.WithClock(past))
		box, err := mb.Add(ctx, mailbox.New{PropertyID: p.ID, Host: "imap.acme.example", Username: "support", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := mb.Claim(ctx, box.ID, "test", time.Hour); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := mb.Polled(ctx, box.ID, "test", 0, errors.New("login failed")); err != nil {
			t.Fatal(err)
		}

		body := scrape(t, metrics.New(d, nil))
		wantLines(t, body,
			`postdesk_outbox_mails{status="queued"} 2`,
			`postdesk_outbox_mails{status="data"} 0`,
			`postdesk_outbox_mails{status="uncertain"} 1`,
			`postdesk_mails_sent_total 3`,
			`postdesk_mails_failed_total 1`,
			`postdesk_outbox_queue_depth 3`,
			`postdesk_imap_poll_failing{mailbox="support@imap.acme.example/INBOX",property="acme"} 1`)
		m := lagLine.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no poll lag in:\n%s", body)
		}
		if lag, _ := strconv.ParseFloat(m[2], 64); m[1] != "support@imap.acme.example/INBOX" || lag < 89 || lag > 150 {
			t.Fatalf("poll lag of %s: %s, want about 90 s", m[1], m[2])
		}
	})
}
