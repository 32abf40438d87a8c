// Package sender delivers the outbox: it claims due rows, hands each to a transport (the relay),
// and settles the row by what the transport says happened.
package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/scheduler"
)

// Queue is what the sender needs of the outbox.
type Queue interface {
	Claim(ctx context.Context, n int) ([]outbox.Mail, error)
	MarkData(ctx context.Context, m outbox.Mail) error
	MarkSent(ctx context.Context, m outbox.Mail, refused map[string]string) error
	Retry(ctx context.Context, m outbox.Mail, fromStatus string, cause error) error
	Fail(ctx context.Context, m outbox.Mail, fromStatus, reason string) error
	MarkUncertain(ctx context.Context, m outbox.Mail, cause error) error
	Recover(ctx context.Context) (requeued, uncertain int, err error)
	Renew(ctx context.Context, ms []outbox.Mail) (lost []int64, err error)
	NextDue(ctx context.Context) (time.Time, bool, error)
}

// Transport hands one mail to the next hop (relay.SMTPTransport, relay.FileTransport); its
// errors wrap relay.ErrPermanent or relay.ErrAfterData when they say so. It calls commit after the relay has accepted the
// envelope and the whole content, just before the end of DATA; if commit fails it must abandon the
// transaction without sending the end of DATA.
type Transport interface {
	Send(ctx context.Context, from string, rcpts []string, raw []byte, commit func() error) (refused map[string]string, err error)
}

// Signer signs a property's mail just before it is sent (dkimkeys.Store): it returns raw with
// its signature, or raw itself when the property signs nothing. An error (the key could not be
// read) leaves the mail queued, to try again later.
type Signer interface {
	Sign(ctx context.Context, propertyID int64, raw []byte) ([]byte, error)
}

// Sender delivers the outbox.
type Sender struct {
	q         Queue
	t         Transport
	signer    Signer
	log       *slog.Logger
	workers   int
	poll      time.Duration
	now       func() time.Time
	claims    *scheduler.Loop
	jobs      chan outbox.Mail
	recovered chan struct{}
	// noTLSSaid is set once the relay's missing STARTTLS was logged: it is the same for every
	// mail, and said again it would only bury the first saying.
	noTLSSaid atomic.Bool
	// down, recoverDown and renewDown log the claim rounds', the recoveries' and the heartbeats'
	// failures (the database is down) once, then once a minute while they last, and once when
	// they end: not every round.
	down, recoverDown, renewDown *outage
	// lease is the queue's (WithLease); held is what this sender claimed and has not settled,
	// renewed by the heartbeat (renewing) every third of it; recovering takes over what other
	// instances left past theirs as often (lease.go).
	lease                time.Duration
	held                 held
	renewing, recovering *scheduler.Loop
}

// New returns a sender with workers concurrent deliveries. It polls the queue at least every
// poll (other processes — the CLI, other instances — enqueue too) and at once when kicked.
func New(q Queue, t Transport, workers int, poll time.Duration, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sender{q: q, t: t, log: log.With(slog.String("component", "sender")), workers: max(1, workers), poll: poll,
		now: time.Now, recovered: make(chan struct{}), lease: outbox.DefaultLease}
	clock := func() time.Time { return s.now() }
	s.down = &outage{log: s.log, now: clock, what: "the outbox"}
	s.recoverDown = &outage{log: s.log, now: clock, what: "the outbox (recovering mail left in flight)"}
	s.renewDown = &outage{log: s.log, now: clock, what: "the outbox (renewing the leases of mail in flight)"}
	// The loop reads the clock through s.now, which WithClock may set after New.
	s.claims = scheduler.New(scheduler.Job{Name: "outbox-claim", Every: poll, Run: s.claim}, s.log,
		scheduler.WithClock(func() time.Time { return s.now() }))
	return s
}

// WithClock sets the clock the queue's due times are written with (the queue's own; default
// time.Now). Call it before Run.
func (s *Sender) WithClock(now func() time.Time) *Sender { s.now = now; return s }

// WithSigner makes the sender sign each mail with signer before handing it to the transport: the
// signature is made at send time, so the queued bytes stay as they were rendered. Call it before
// Run.
func (s *Sender) WithSigner(signer Signer) *Sender { s.signer = signer; return s }

// Kick tells the sender that mail was queued.
func (s *Sender) Kick() { s.claims.Kick() }

// Sync kicks the sender and returns once a claim round that began after the call has ended: the
// rows due then are claimed and handed to the workers (tests wait on it).
func (s *Sender) Sync(ctx context.Context) error { return s.claims.Sync(ctx) }

// Run delivers until ctx ends. It first settles what a previous run left in flight.
func (s *Sender) Run(ctx context.Context) error {
	requeued, uncertain, err := s.q.Recover(ctx)
	if err != nil {
		return err
	}
	if requeued+uncertain > 0 {
		s.log.Warn("recovered mail left in flight", slog.Int("requeued", requeued), slog.Int("uncertain", uncertain))
	}
	s.renewing, s.recovering = s.renewer(), s.recoverer()
	close(s.recovered)
	s.jobs = make(chan outbox.Mail)
	// The heartbeat runs until the last attempt has ended, after ctx: a shutdown waits for the
	// attempts in flight, and their rows keep their leases meanwhile.
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewing.Run(renewCtx)
	}()
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range s.jobs {
				s.attempt(context.WithoutCancel(ctx), m)
			}
		}()
	}
	defer func() {
		close(s.jobs)
		wg.Wait()
		stopRenew()
		<-renewed
	}()
	// What another instance left past its lease (it was killed) is queued again, or marked
	// uncertain, every third of the lease, and the claim loop is kicked to pick it up.
	recovering := make(chan struct{})
	go func() {
		defer close(recovering)
		s.recovering.Run(ctx)
	}()
	s.claims.Run(ctx)
	<-recovering
	return nil
}

// claim is one round: it claims a batch of due rows and hands them to the workers, and says when
// the next row is due — at once after a batch (there may be more). Its failures are logged here,
// throttled (s.down), never by the loop: while the database is down every round fails.
func (s *Sender) claim(ctx context.Context) (time.Time, error) {
	ms, err := s.q.Claim(ctx, s.workers*4)
	if err != nil {
		if ctx.Err() == nil {
			s.down.fail(fmt.Errorf("sender: claim: %w", err))
		}
		return time.Time{}, nil
	}
	s.held.add(ms) // renewed from now on, until each is settled
	for _, m := range ms {
		select {
		case s.jobs <- m:
		case <-ctx.Done():
			// Claimed but not started: its lease runs out and Recover queues it again.
			return time.Time{}, nil
		}
	}
	if len(ms) > 0 {
		s.down.ok()
		return s.now(), nil
	}
	next, ok, err := s.q.NextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.down.fail(fmt.Errorf("sender: next due: %w", err))
		}
		return time.Time{}, nil
	}
	s.down.ok()
	if !ok {
		return time.Time{}, nil
	}
	return next, nil
}

// attempt delivers m; a panic in the attempt (a transport's bug, a relay's answer nobody
// expected) is logged and the row settled as if the connection had dropped: queued again before
// the end of DATA, uncertain after it. The daemon goes on.
func (s *Sender) attempt(ctx context.Context, m outbox.Mail) {
	defer s.held.done(m) // last: after the row is settled, or left to recovery
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		log := s.log.With(slog.Int64("outbox_id", m.ID), slog.String("message_id", m.MessageID))
		cause := fmt.Errorf("panic during delivery: %v", p)
		log.Error("delivery panicked; the mail stays queued", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		if err := s.q.Retry(ctx, m, outbox.Sending, cause); err == nil {
			return
		}
		if err := s.q.MarkUncertain(ctx, m, cause); err != nil {
			// Neither: the row keeps its lease, and Recover settles it when the lease runs out.
			log.Error("could not record the attempt", slog.Any("err", err))
		}
	}()
	s.deliver(ctx, m)
}

// deliver makes one attempt for m and settles the row.
func (s *Sender) deliver(ctx context.Context, m outbox.Mail) {
	log := s.log.With(slog.Int64("outbox_id", m.ID), slog.String("message_id", m.MessageID), slog.String("kind", m.Kind), slog.Int("attempt", m.Attempts))
	if len(m.Raw) == 0 {
		// Mail is rendered when it is queued (outbox.Enqueue refuses a row without bytes); a row
		// without them was written by a postdesk older than that and cannot be sent as it was meant.
		log.Error("mail has no bytes to send")
		if err := s.q.Fail(ctx, m, outbox.Sending, "queued without its bytes (by an older postdesk): nothing to send"); err != nil {
			log.Error("could not record the failure", slog.Any("err", err))
		}
		return
	}
	raw := m.Raw
	if s.signer != nil {
		signed, err := s.signer.Sign(ctx, m.PropertyID, m.Raw)
		if err != nil {
			log.Warn("mail deferred: it could not be signed", slog.Any("err", err))
			if err := s.q.Retry(ctx, m, outbox.Sending, fmt.Errorf("sender: sign: %w", err)); err != nil {
				log.Error("could not record the attempt", slog.Any("err", err))
			}
			return
		}
		raw = signed
	}
	reachedData := false
	refused, err := s.t.Send(ctx, m.From, m.Rcpts(), raw, func() error {
		if err := s.q.MarkData(ctx, m); err != nil {
			return err
		}
		reachedData = true
		return nil
	})
	status := outbox.Sending
	if reachedData {
		status = outbox.Data
	}
	var settle error
	switch {
	case err == nil:
		settle = s.q.MarkSent(ctx, m, refused)
		log.Info("mail sent", slog.String("rcpts", m.RcptList))
	case errors.Is(err, relay.ErrAfterData):
		settle = s.q.MarkUncertain(ctx, m, err)
		log.Error("mail may not have been delivered; not resent", slog.Any("err", err))
	case errors.Is(err, relay.ErrPermanent):
		settle = s.q.Fail(ctx, m, status, err.Error())
		log.Warn("mail refused", slog.Any("err", err))
	case errors.Is(err, relay.ErrNoSTARTTLS):
		settle = s.q.Retry(ctx, m, status, err)
		if s.noTLSSaid.CompareAndSwap(false, true) {
			log.Error("no mail can go out: mail stays queued and is retried", slog.Any("err", err))
		} else {
			log.Debug("mail deferred", slog.Any("err", err))
		}
	default:
		settle = s.q.Retry(ctx, m, status, err)
		log.Warn("mail deferred", slog.Any("err", err))
	}
	if settle != nil {
		// The row keeps its lease; Recover settles it when the lease runs out.
		log.Error("could not record the attempt", slog.Any("err", settle))
	}
}

// Recovered is closed once Run has settled the previous run's mail (tests wait on it).
func (s *Sender) Recovered() <-chan struct{} { return s.recovered }
