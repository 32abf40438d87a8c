package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Lease is work one instance holds in the database for a while (an IMAP mailbox): taken with an
// expiry, renewed by its holder, taken over by another instance once it expired.
type Lease struct {
	// Claim takes or renews the lease for TTL from now; false means another holder has it.
	Claim func(ctx context.Context) (bool, error)
	TTL   time.Duration
	Renew time.Duration // how often the holder renews it; well below TTL
	// Now is the clock the lease's expiry is written with (default time.Now).
	Now func() time.Time
}

// Errors Hold returns; the holder must stop the work then.
var (
	ErrLeaseLost        = errors.New("scheduler: lease lost to another holder")
	ErrLeaseUnconfirmed = errors.New("scheduler: lease not renewed for as long as it lasts")
)

// Hold keeps a lease that was just claimed, renewing it every l.Renew, until ctx ends (nil). It
// returns ErrLeaseLost when another holder has it, and ErrLeaseUnconfirmed when no renewal got
// through for TTL: another instance may have it by then. A failed renewal before that is only
// logged — the database may be back before the lease runs out.
func Hold(ctx context.Context, l Lease, log *slog.Logger) error {
	now := l.Now
	if now == nil {
		now = time.Now
	}
	t := time.NewTicker(l.Renew)
	defer t.Stop()
	held := now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		ok, err := l.Claim(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && now().Sub(held) < l.TTL:
			log.Warn("scheduler: cannot renew the lease", slog.Any("err", err))
		case err != nil:
			return errors.Join(ErrLeaseUnconfirmed, err)
		case !ok:
			return ErrLeaseLost
		default:
			held = now()
		}
	}
}
