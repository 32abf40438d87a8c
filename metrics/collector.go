package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postdesk/postdesk/db"
)

// dbCollector reads the outbox and the IMAP mailboxes at scrape time. The outbox rows are the
// record of every mail sent or failed, so their counts are the counters: nothing is kept in
// memory that a restart, or another instance, would not know.
type dbCollector struct {
	d   *db.DB
	log *slog.Logger
	qs  queries
}

var (
	outboxDesc = prometheus.NewDesc("postdesk_outbox_mails",
		"Mails in the outbox, by status (queued, sending, data, sent, failed, uncertain).", []string{"status"}, nil)
	sentDesc = prometheus.NewDesc("postdesk_mails_sent_total",
		"Mails the relay accepted (outbox rows sent).", nil, nil)
	failedDesc = prometheus.NewDesc("postdesk_mails_failed_total",
		"Mails refused for good or expired after retrying (outbox rows failed).", nil, nil)
	depthDesc = prometheus.NewDesc("postdesk_outbox_queue_depth",
		"Mails waiting to go out: queued, or being sent.", nil, nil)
	lagDesc = prometheus.NewDesc("postdesk_imap_poll_lag_seconds",
		"Seconds since a mailbox was last polled (since it was added, when never).", []string{"property", "mailbox"}, nil)
	pollErrDesc = prometheus.NewDesc("postdesk_imap_poll_failing",
		"1 when a mailbox's last poll failed, else 0.", []string{"property", "mailbox"}, nil)
)

// outboxStatuses are every status a row can have; each is reported, 0 when no row has it.
var outboxStatuses = []string{"queued", "sending", "data", "sent", "failed", "uncertain"}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outboxDesc, sentDesc, failedDesc, depthDesc, lagDesc, pollErrDesc} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.outbox(ctx, ch)
	c.mailboxes(ctx, ch)
}

func (c *dbCollector) outbox(ctx context.Context, ch chan<- prometheus.Metric) {
	var rows []struct {
		Status string `db:"status"`
		N      int64  `db:"n"`
	}
	if err := c.d.Select(ctx, nil, &rows, c.qs.OutboxByStatus); err != nil {
		c.fail(ch, err, outboxDesc, sentDesc, failedDesc, depthDesc)
		return
	}
	by := map[string]int64{}
	for _, r := range rows {
		by[r.Status] = r.N
	}
	for _, s := range outboxStatuses {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(by[s]), s)
	}
	ch <- prometheus.MustNewConstMetric(sentDesc, prometheus.CounterValue, float64(by["sent"]))
	ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.CounterValue, float64(by["failed"]))
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(by["queued"]+by["sending"]+by["data"]))
}

func (c *dbCollector) mailboxes(ctx context.Context, ch chan<- prometheus.Metric) {
	var rows []struct {
		Property  string     `db:"slug"`
		User      string     `db:"username"`
		Host      string     `db:"host"`
		Folder    string     `db:"folder"`
		LastPoll  *time.Time `db:"last_poll_at"`
		LastError string     `db:"last_error"`
		CreatedAt time.Time  `db:"created_at"`
	}
	if err := c.d.Select(ctx, nil, &rows, c.qs.Mailboxes); err != nil {
		c.fail(ch, err, lagDesc, pollErrDesc)
		return
	}
	now := time.Now()
	for _, r := range rows {
		since := r.CreatedAt
		if r.LastPoll != nil {
			since = *r.LastPoll
		}
		name := r.User + "@" + r.Host + "/" + r.Folder
		lag := max(now.Sub(since).Seconds(), 0)
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag, r.Property, name)
		failing := 0.0
		if r.LastError != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(pollErrDesc, prometheus.GaugeValue, failing, r.Property, name)
	}
}

// fail reports a scrape-time query failure on the metrics it feeds: the scrape goes on without
// them (promhttp.ContinueOnError) and the error is logged.
func (c *dbCollector) fail(ch chan<- prometheus.Metric, err error, descs ...*prometheus.Desc) {
	c.log.Warn("metrics: database query failed", slog.Any("err", err))
	for _, d := range descs {
		ch <- prometheus.NewInvalidMetric(d, err)
	}
}
