package sender

import (
	"log/slog"
	"regexp"
	"sync"
	"time"
)

// outageLogEvery is how often a failure that goes on (the database is down: every claim round
// fails, one a second) is logged again while it lasts.
const outageLogEvery = time.Minute

// outage logs a repeating failure once when it starts, then at most once per outageLogEvery
// while the same class of error lasts (a new class is logged at once), and once when it ends.
type outage struct {
	log  *slog.Logger
	now  func() time.Time
	what string // "the outbox" in "the outbox is unreachable"

	mu         sync.Mutex
	class      string    // of the failure going on; "" when none is
	since      time.Time // it began
	logged     time.Time // it was last logged
	suppressed int       // failures not logged since
}

// digits are what differ between two errors of one class (ports, ids, durations).
var digits = regexp.MustCompile(`[0-9]+`)

// fail records a failed round.
func (o *outage) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	class := digits.ReplaceAllString(err.Error(), "#")
	switch {
	case o.class == "":
		o.class, o.since, o.logged, o.suppressed = class, now, now, 0
		o.log.Error(o.what+" is unreachable; retrying (logged again at most once a minute while it lasts)", slog.Any("err", err))
	case class != o.class || now.Sub(o.logged) >= outageLogEvery:
		o.class, o.logged = class, now
		o.log.Error(o.what+" is still unreachable", slog.Any("err", err),
			slog.Duration("for", now.Sub(o.since)), slog.Int("failures_not_logged", o.suppressed))
		o.suppressed = 0
	default:
		o.suppressed++
	}
}

// ok records a round that succeeded: the end of a failure going on, if one is.
func (o *outage) ok() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.class == "" {
		return
	}
	o.log.Info(o.what+" is reachable again", slog.Duration("after", o.now().Sub(o.since)))
	o.class, o.suppressed = "", 0
}
