// Package metrics exposes postdesk's Prometheus metrics on a registry of its own (never the global
// one): mail accepted and how it was threaded, counted as it happens; the outbox (sent, failed,
// queue depth) and the IMAP mailboxes (poll lag) read from the database at scrape time, so every
// instance on a shared PostgreSQL database reports the same truth and a restart loses nothing.
package metrics

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/tickets"
)

// Metrics is postdesk's registry and the instruments the daemon feeds. It is safe for concurrent
// use.
type Metrics struct {
	reg      *prometheus.Registry
	log      *slog.Logger
	accepted *prometheus.CounterVec
	threaded *prometheus.CounterVec
	failed   *prometheus.CounterVec
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	qs       queries // the collector's, kept to be prepared by Open
}

// Source labels: where accepted mail came from.
const (
	SourceMail = "mail" // SMTP, LMTP or an IMAP mailbox
	SourceForm = "form" // the public contact form of the HTTP API
)

// Open returns the metrics of a postdesk whose database is d, with the Go runtime and process
// collectors, and the statements read at scrape time prepared: a broken query fails here, at
// start, not at the first scrape.
func Open(ctx context.Context, d *db.DB, log *slog.Logger) (*Metrics, error) {
	return open(ctx, d, queryFiles, log)
}

func open(ctx context.Context, d *db.DB, files fs.FS, log *slog.Logger) (*Metrics, error) {
	m, err := newMetrics(d, files, log)
	if err != nil {
		return nil, err
	}
	if err := d.PrepareAll(ctx, &m.qs); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

// New is Open with the statements prepared on first use (the first scrape). It panics when the
// embedded queries do not load, which they always do (TestQueriesPrepareOnEveryEngine): they are
// fixed when the program is built, like a regexp.MustCompile. Prefer Open.
func New(d *db.DB, log *slog.Logger) *Metrics {
	m, err := newMetrics(d, queryFiles, log)
	if err != nil {
		panic(err)
	}
	return m
}

func newMetrics(d *db.DB, files fs.FS, log *slog.Logger) (*Metrics, error) {
	qs, err := loadQueries(files, d.Dialect)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		qs:  qs,
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postdesk_mail_accepted_total",
			Help: "Inbound messages committed for a property (a redelivery of a stored message counts again), by source.",
		}, []string{"source"}),
		threaded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postdesk_mail_threaded_total",
			Help: "Inbound messages stored, by the evidence that chose their ticket (reply-token, in-reply-to, references, subject-tag, new) or duplicate.",
		}, []string{"reason"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postdesk_mail_intake_errors_total",
			Help: "Inbound messages that could not be stored (the sender is told to retry), by source.",
		}, []string{"source"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postdesk_http_requests_total",
			Help: "HTTP API requests, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "postdesk_http_request_duration_seconds",
			Help:    "HTTP API request latency, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	// Every reason exists from the start, so a rate() over it is defined before the first mail.
	for _, r := range []string{"reply-token", "in-reply-to", "references", "subject-tag", "new", "duplicate"} {
		m.threaded.WithLabelValues(r)
	}
	for _, s := range []string{SourceMail, SourceForm} {
		m.accepted.WithLabelValues(s)
		m.failed.WithLabelValues(s)
	}
	m.reg.MustRegister(m.accepted, m.threaded, m.failed, m.requests, m.duration,
		&dbCollector{d: d, log: log, qs: qs},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m, nil
}

// Registry is the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format. A failing database query drops
// the metrics it feeds from that scrape (and logs why) rather than failing the scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	})
}

// Delivered counts one delivery to a property.
func (m *Metrics) Delivered(source string, d tickets.Delivery, err error) {
	if err != nil {
		m.failed.WithLabelValues(source).Inc()
		return
	}
	m.accepted.WithLabelValues(source).Inc()
	if d.Duplicate {
		m.threaded.WithLabelValues("duplicate").Inc()
		return
	}
	m.threaded.WithLabelValues(string(d.Decision.Reason)).Inc()
}

// ObserveHTTP counts one HTTP request answered with status on route (the mux pattern, so the
// label set stays small).
func (m *Metrics) ObserveHTTP(route string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

type sourceKey struct{}

// WithSource marks ctx as carrying mail from source (SourceForm…); deliveries without a mark are
// SourceMail.
func WithSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, sourceKey{}, source)
}

func sourceOf(ctx context.Context) string {
	if s, ok := ctx.Value(sourceKey{}).(string); ok && s != "" {
		return s
	}
	return SourceMail
}

// Store wraps the store the intake pipeline delivers to, counting every delivery — SMTP, LMTP,
// IMAP and forms all pass through it, each with its threading decision.
func (m *Metrics) Store(s intake.Store) intake.Store { return countingStore{Store: s, m: m} }

type countingStore struct {
	intake.Store
	m *Metrics
}

func (c countingStore) Deliver(ctx context.Context, p tickets.Property, secret []byte, in tickets.Inbound) (tickets.Delivery, error) {
	d, err := c.Store.Deliver(ctx, p, secret, in)
	c.m.Delivered(sourceOf(ctx), d, err)
	return d, err
}
