package sender

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/scheduler"
)

// held is the rows this sender claimed and has not settled yet: claimed in a batch, waiting for a
// worker, or being attempted. One heartbeat renews all of them every third of the lease, so a
// row's lease runs out only when its holder is gone (killed, or cut off from the database): then
// another instance's recovery round takes the row over within a lease and a third (see Recover:
// queued again before the end of DATA, uncertain after it — never sent twice).
type held struct {
	mu   sync.Mutex
	rows map[int64]outbox.Mail
}

func (h *held) add(ms []outbox.Mail) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rows == nil {
		h.rows = map[int64]outbox.Mail{}
	}
	for _, m := range ms {
		h.rows[m.ID] = m
	}
}

// done forgets m's claim once its attempt is over (settled, or left to recovery), and reports
// whether it was still held.
func (h *held) done(m outbox.Mail) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.rows[m.ID]; ok && cur.Attempts == m.Attempts {
		delete(h.rows, m.ID)
		return true
	}
	return false
}

func (h *held) list() []outbox.Mail {
	h.mu.Lock()
	defer h.mu.Unlock()
	ms := make([]outbox.Mail, 0, len(h.rows))
	for _, m := range h.rows {
		ms = append(ms, m)
	}
	return ms
}

// Len counts the rows held (tests).
func (h *held) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rows)
}

// WithLease sets the queue's lease (outbox.Queue.Lease; default outbox.DefaultLease): what the
// sender holds is renewed every third of it, and the rows other instances left past theirs are
// recovered as often. Call it before Run.
func (s *Sender) WithLease(lease time.Duration) *Sender {
	if lease > 0 {
		s.lease = lease
	}
	return s
}

// renewer is the heartbeat: it renews the lease of every row held, and forgets the ones another
// instance took over (their attempts are fenced by the queue: they can neither send nor settle).
func (s *Sender) renewer() *scheduler.Loop {
	return scheduler.New(scheduler.Job{Name: "outbox-renew", Every: s.lease / 3, WaitFirst: true,
		Run: func(ctx context.Context) (time.Time, error) {
			ms := s.held.list()
			if len(ms) == 0 {
				return time.Time{}, nil
			}
			lost, err := s.q.Renew(ctx, ms)
			switch {
			case err == nil:
				s.renewDown.ok()
			case ctx.Err() == nil:
				// The leases may run out meanwhile: then another instance recovers the rows, and
				// this one's attempts are fenced off.
				s.renewDown.fail(fmt.Errorf("sender: renew: %w", err))
			}
			for _, id := range lost {
				for _, m := range ms {
					// A row settled since the list was read is lost to the renewal too: only one
					// still held was taken over.
					if m.ID == id && s.held.done(m) {
						s.log.Warn("the lease of a mail in flight was lost: another instance took it over", slog.Int64("outbox_id", id))
					}
				}
			}
			return time.Time{}, nil
		}}, s.log, scheduler.WithClock(func() time.Time { return s.now() }))
}

// recoverer queues again (or marks uncertain) what an instance left past its lease, every third
// of the lease, and kicks the claim loop to pick it up.
func (s *Sender) recoverer() *scheduler.Loop {
	return scheduler.New(scheduler.Job{Name: "outbox-recover", Every: s.lease / 3, WaitFirst: true,
		Run: func(ctx context.Context) (time.Time, error) {
			requeued, uncertain, err := s.q.Recover(ctx)
			if requeued+uncertain > 0 {
				s.log.Warn("took over mail another instance left in flight", slog.Int("requeued", requeued), slog.Int("uncertain", uncertain))
			}
			if requeued > 0 {
				s.claims.Kick()
			}
			switch {
			case err == nil:
				s.recoverDown.ok()
			case ctx.Err() == nil:
				s.recoverDown.fail(fmt.Errorf("sender: recover: %w", err))
			}
			return time.Time{}, nil
		}}, s.log, scheduler.WithClock(func() time.Time { return s.now() }))
}

// SyncRecover runs a recovery round now and returns once one that began after the call has ended
// (tests move the clock past a lease, then wait on it). It fails before Run has started it.
func (s *Sender) SyncRecover(ctx context.Context) error {
	select {
	case <-s.recovered:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.recovering.Sync(ctx)
}

// SyncRenew runs a heartbeat now and returns once one that began after the call has ended.
func (s *Sender) SyncRenew(ctx context.Context) error {
	select {
	case <-s.recovered:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.renewing.Sync(ctx)
}

// Held counts the rows this sender holds: claimed, not settled (tests).
func (s *Sender) Held() int { return s.held.len() }
