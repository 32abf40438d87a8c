// Package imapfetch imports mail from support mailboxes over IMAP: the connection (TLS, login),
// the poller of one mailbox (checkpoint, IDLE or polling, after-actions) and the pollers of all
// of them, shared out between instances by leases. Each message goes to an inbound.Receiver.
package imapfetch

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/scheduler"
	"github.com/postdesk/postdesk/tickets"
)

// PropertyLookup finds the property a mailbox belongs to.
type PropertyLookup interface {
	Properties(ctx context.Context) ([]tickets.Property, error)
}

// Intervals are the poller's timings; a zero field keeps its default.
type Intervals struct {
	Scan        time.Duration // how often the mailbox table is read for added, removed and free mailboxes (5 s)
	Lease       time.Duration // how long a lease lasts unless renewed (20 s)
	Renew       time.Duration // how often the holder renews it (5 s)
	Poll        time.Duration // how often a server without IDLE is asked for new mail (60 s)
	IdleRefresh time.Duration // how often IDLE is re-issued (5 min; RFC 2177 asks for less than 29)
	MinBackoff  time.Duration // first delay before reconnecting after a failure (1 s), doubling…
	MaxBackoff  time.Duration // …up to this (5 min)
}

// The lease and the scan bound the takeover: a killed instance's mailbox is claimed by another
// within a lease and a scan of its last renewal (25 s), as its outbox rows are within 20 s
// (outbox.DefaultLease). A scan is one read of the mailbox table.
var defaultIntervals = Intervals{
	Scan: 5 * time.Second, Lease: 20 * time.Second, Renew: 5 * time.Second, Poll: 60 * time.Second,
	IdleRefresh: 5 * time.Minute, MinBackoff: time.Second, MaxBackoff: 5 * time.Minute,
}

type pollConfig struct {
	Intervals
	owner     string
	Batch     int // UIDs per UID FETCH
	Workers   int // concurrent deliveries
	NoIdle    bool
	TLSConfig *tls.Config
	Debug     io.Writer
	Tokens    Tokens
}

// PollersOption configures Pollers.
type PollersOption func(*pollConfig)

// WithIntervals sets the timings (tests shorten them).
func WithIntervals(iv Intervals) PollersOption {
	return func(c *pollConfig) {
		for _, f := range []struct{ dst, src *time.Duration }{
			{&c.Scan, &iv.Scan}, {&c.Lease, &iv.Lease}, {&c.Renew, &iv.Renew}, {&c.Poll, &iv.Poll},
			{&c.IdleRefresh, &iv.IdleRefresh}, {&c.MinBackoff, &iv.MinBackoff}, {&c.MaxBackoff, &iv.MaxBackoff},
		} {
			if *f.src > 0 {
				*f.dst = *f.src
			}
		}
	}
}

// WithOwner names this instance in leases (default: host, process and a random part).
func WithOwner(owner string) PollersOption { return func(c *pollConfig) { c.owner = owner } }

// WithFetch sets how many UIDs one UID FETCH asks for (100) and how many deliveries run at once (8).
func WithFetch(batch, workers int) PollersOption {
	return func(c *pollConfig) {
		if batch > 0 {
			c.Batch = batch
		}
		if workers > 0 {
			c.Workers = workers
		}
	}
}

// WithoutIdle polls even servers that offer IDLE (for servers whose IDLE is broken; tests).
func WithoutIdle() PollersOption { return func(c *pollConfig) { c.NoIdle = true } }

// WithTLSConfig trusts what tc trusts instead of the system roots (a private CA; tests).
func WithTLSConfig(tc *tls.Config) PollersOption { return func(c *pollConfig) { c.TLSConfig = tc } }

// WithIMAPDebug copies the raw protocol to w — passwords included: for debugging only.
func WithIMAPDebug(w io.Writer) PollersOption { return func(c *pollConfig) { c.Debug = w } }

// Pollers polls every mailbox of the database that this instance holds the lease on. Several
// instances on one database share the mailboxes out, each polled by exactly one; when an instance
// dies, the others take its mailboxes over once their leases expire.
type Pollers struct {
	store   *mailbox.Store
	deliver inbound.Receiver
	props   PropertyLookup
	log     *slog.Logger
	cfg     pollConfig
	owner   string

	scans *scheduler.Loop
	wg    sync.WaitGroup // the mailbox pollers running

	mu      sync.Mutex
	running map[int64]context.CancelFunc
}

// NewPollers returns the pollers; Run starts them. Each message fetched goes to d, for the
// mailbox's property, with no envelope recipients (the property's forwarding address stands in).
func NewPollers(store *mailbox.Store, d inbound.Receiver, props PropertyLookup, log *slog.Logger, opts ...PollersOption) *Pollers {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := pollConfig{Intervals: defaultIntervals, Batch: 100, Workers: 8}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.owner == "" {
		cfg.owner = defaultOwner()
	}
	p := &Pollers{store: store, deliver: d, props: props, log: log.With(slog.String("component", "imap")), cfg: cfg,
		owner: cfg.owner, running: map[int64]context.CancelFunc{}}
	p.scans = scheduler.New(scheduler.Job{Name: "imap-scan", Every: cfg.Scan, Run: func(ctx context.Context) (time.Time, error) {
		p.scan(ctx)
		return time.Time{}, nil
	}}, p.log, scheduler.WithClock(store.Now))
	return p
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner is the name this instance holds leases under.
func (p *Pollers) Owner() string { return p.owner }

// Run polls until ctx ends, then stops every poller, gives up its leases and returns nil. The
// mailbox table is read again every Intervals.Scan, so mailboxes added from the CLI in another
// process are picked up. Failures of one mailbox are logged and recorded on it, never fatal.
func (p *Pollers) Run(ctx context.Context) error {
	p.log.Info("imap: polling mailboxes", slog.String("owner", p.owner))
	p.scans.Run(ctx)
	p.mu.Lock()
	for _, cancel := range p.running {
		cancel()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.log.Info("imap: stopped")
	return nil
}

// Sync scans the mailbox table now and returns once a scan that began after the call has ended:
// every mailbox this instance could claim then is claimed (tests wait on it).
func (p *Pollers) Sync(ctx context.Context) error { return p.scans.Sync(ctx) }

// Running lists the mailboxes this instance polls now.
func (p *Pollers) Running() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]int64, 0, len(p.running))
	for id := range p.running {
		ids = append(ids, id)
	}
	return ids
}

func (p *Pollers) scan(ctx context.Context) {
	mbs, err := p.store.List(ctx, 0)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("imap: cannot read the mailboxes", slog.Any("err", err))
		}
		return
	}
	now := p.store.Now()
	present := make(map[int64]bool, len(mbs))
	for _, mb := range mbs {
		present[mb.ID] = true
		if mb.SignInNeededAt != nil {
			continue // stopped until an admin signs in again (a running poller stops by itself)
		}
		p.mu.Lock()
		stop, running := p.running[mb.ID]
		p.mu.Unlock()
		if mb.Paused {
			if running {
				// Paused while we poll it: stop now (the renewal would fail anyway).
				p.log.Info("imap: mailbox paused: stopping", slog.Int64("mailbox", mb.ID))
				stop()
			}
			continue
		}
		if running || (mb.LeaseOwner != p.owner && mb.LeaseUntil != nil && mb.LeaseUntil.After(now)) {
			continue // ours already, or another live instance's: no need to ask the database
		}
		ok, err := p.store.Claim(ctx, mb.ID, p.owner, p.cfg.Lease)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("imap: cannot claim a mailbox", slog.Int64("mailbox", mb.ID), slog.Any("err", err))
			}
			continue
		}
		if !ok {
			continue
		}
		mctx, cancel := context.WithCancel(ctx)
		p.mu.Lock()
		p.running[mb.ID] = cancel
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.runMailbox(mctx, cancel, mb)
		}()
	}
	p.mu.Lock()
	for id, cancel := range p.running {
		if !present[id] {
			cancel() // removed from the database
		}
	}
	p.mu.Unlock()
}

func (p *Pollers) runMailbox(ctx context.Context, cancel context.CancelFunc, mb mailbox.Mailbox) {
	log := p.log.With(slog.Int64("mailbox", mb.ID), slog.String("property", mb.Property), slog.String("account", mb.String()))
	log.Info("imap: polling mailbox", slog.String("after", mb.AfterAction))
	var leaseDone sync.WaitGroup
	leaseDone.Add(1)
	go func() {
		defer leaseDone.Done()
		p.keepLease(ctx, cancel, mb.ID, log)
	}()
	func() {
		defer func() {
			if v := recover(); v != nil {
				// Only this mailbox stops; its lease is released below and the next scan polls
				// it again.
				log.Error("imap: poller panicked", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			}
		}()
		(&poller{p: p, mb: mb, log: log}).run(ctx)
	}()
	cancel()
	leaseDone.Wait()
	// Let another instance take over now rather than when the lease expires.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	if err := p.store.Release(rctx, mb.ID, p.owner); err != nil {
		log.Warn("imap: cannot release the lease", slog.Any("err", err))
	}
	rcancel()
	p.mu.Lock()
	delete(p.running, mb.ID)
	p.mu.Unlock()
	log.Info("imap: stopped polling mailbox")
}

// keepLease renews the lease until ctx ends, and stops the poller (cancel) when the lease is
// lost, or cannot be confirmed for as long as it lasts: another instance may have it by then.
func (p *Pollers) keepLease(ctx context.Context, cancel context.CancelFunc, id int64, log *slog.Logger) {
	err := scheduler.Hold(ctx, scheduler.Lease{
		Claim: func(ctx context.Context) (bool, error) { return p.store.Claim(ctx, id, p.owner, p.cfg.Lease) },
		TTL:   p.cfg.Lease, Renew: p.cfg.Renew, Now: p.store.Now,
	}, log.With(slog.String("lease", "imap mailbox")))
	switch {
	case errors.Is(err, scheduler.ErrLeaseLost):
		log.Warn("imap: lease lost to another instance: stopping")
		cancel()
	case err != nil:
		log.Error("imap: lease expired without renewal: stopping", slog.Any("err", err))
		cancel()
	}
}

func (p *Pollers) property(ctx context.Context, id int64) (tickets.Property, error) {
	ps, err := p.props.Properties(ctx)
	if err != nil {
		return tickets.Property{}, fmt.Errorf("imapfetch: read properties: %w", err)
	}
	for _, prop := range ps {
		if prop.ID == id {
			return prop, nil
		}
	}
	return tickets.Property{}, fmt.Errorf("imapfetch: property %d: %w", id, tickets.ErrNotFound)
}
