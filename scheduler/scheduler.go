// Package scheduler runs the daemon's recurring work: the outbox sender's claim rounds, the IMAP
// pollers' scan of the mailbox table, the snooze wake-up — and later SLA checks and webhooks.
//
// What is due lives in the database, never in this process's memory: a Loop runs its job, which
// reads the due work and says when more is due; the loop then waits until then (bounded by
// Job.Every, because other processes add work too), or until it is kicked. Time comes from an
// injected clock, so tests move time and kick instead of sleeping. A panic in a run is logged
// with its stack and ends only that run. Work that several instances could pick up at once is
// claimed in the database, per row (FOR UPDATE SKIP LOCKED, an UPDATE … RETURNING) or by a lease
// that Hold keeps renewed.
//
// Learned from mox's queue (a timer to the next due attempt, a kick channel) and miniflux's
// DB-driven scheduler; unlike both, no package state: every loop is a value its owner runs.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Job is one kind of recurring work.
type Job struct {
	// Name is the job in logs.
	Name string
	// Every is the longest wait between two runs.
	Every time.Duration
	// WaitFirst makes the first run wait Every too (its owner did that work at start already).
	WaitFirst bool
	// Run does the work due now. It returns when work is next due: the zero time when that is
	// not known (the loop waits Every), a time not after now to run again at once (a full batch
	// was claimed: there may be more). An error is logged; the loop goes on.
	Run func(ctx context.Context) (next time.Time, err error)
}

// Loop runs one job until its context ends. It is safe for concurrent use.
type Loop struct {
	job  Job
	now  func() time.Time
	log  *slog.Logger
	kick chan struct{}
	done chan struct{}

	mu      sync.Mutex
	waiters []chan struct{} // Sync calls waiting for the next run to end
	stopped bool
}

// Option configures a Loop.
type Option func(*Loop)

// WithClock sets the clock the job's due times are read against (default time.Now): the one
// the database rows were written with.
func WithClock(now func() time.Time) Option { return func(l *Loop) { l.now = now } }

// New returns a loop for job; Run starts it.
func New(job Job, log *slog.Logger, opts ...Option) *Loop {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if job.Every <= 0 {
		job.Every = time.Minute
	}
	l := &Loop{job: job, now: time.Now, log: log.With(slog.String("job", job.Name)), kick: make(chan struct{}, 1), done: make(chan struct{})}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Kick makes the loop run soon: new work was written. It never blocks; kicks while a run is
// going on make one more run after it.
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// ErrStopped is returned by Sync when the loop has stopped.
var ErrStopped = errors.New("scheduler: the loop has stopped")

// Sync kicks the loop and returns once a run that started after the call has ended: what was
// due when Sync was called has been seen to. It is the barrier tests wait on.
func (l *Loop) Sync(ctx context.Context) error {
	w := make(chan struct{})
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return ErrStopped
	}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	l.Kick()
	select {
	case <-w:
		return nil
	case <-l.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run runs the job until ctx ends.
func (l *Loop) Run(ctx context.Context) {
	defer func() {
		l.mu.Lock()
		l.stopped = true
		l.mu.Unlock()
		close(l.done)
	}()
	if l.job.WaitFirst && !l.wait(ctx, l.job.Every) {
		return
	}
	for ctx.Err() == nil {
		l.mu.Lock()
		waiters := l.waiters
		l.waiters = nil
		l.mu.Unlock()
		next, err := l.runOnce(ctx)
		for _, w := range waiters {
			close(w)
		}
		if err != nil && ctx.Err() == nil {
			l.log.Error("scheduler: run failed", slog.Any("err", err))
		}
		wait := l.job.Every
		if !next.IsZero() {
			wait = min(wait, max(0, next.Sub(l.now())))
		}
		if wait > 0 && !l.wait(ctx, wait) {
			return
		}
	}
}

// wait returns after d or a kick, false when ctx ended first.
func (l *Loop) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-l.kick:
	case <-t.C:
	}
	return true
}

// runOnce runs the job once; a panic is this run's error, never the daemon's end.
func (l *Loop) runOnce(ctx context.Context) (next time.Time, err error) {
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("scheduler: run panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			next, err = time.Time{}, fmt.Errorf("scheduler: %s panicked: %v", l.job.Name, p)
		}
	}()
	return l.job.Run(ctx)
}
