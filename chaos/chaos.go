// Package chaos runs several 'postdesk serve' processes on one PostgreSQL database under a load
// and kills one with SIGKILL every few seconds, restarting it: customers' mail over SMTP spread
// over the instances' ports, a support mailbox polled over IMAP, snoozes ending, every mail to one
// relay. At the end it counts what the guarantees promise — every 250'd message stored once, no
// mail handed to the relay twice, the mailbox polled by one instance at a time, each snooze woken
// once, a killed instance's mail taken over within 30 s — and reports what broke them.
//
// The test cmd/postdesk TestSeveralInstancesSurviveSIGKILL runs it briefly; 'postdesk-bench
// chaos' runs it for as long as asked. SQLite serves one instance per file (a second serve
// refuses to start), so this is PostgreSQL's.
package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/tickets"
)

// Config is one run.
type Config struct {
	Binary    string        // the postdesk binary
	Env       []string      // its environment besides POSTDESK_DB (nil: this process's)
	DSN       string        // an empty PostgreSQL database (or schema) of its own
	Dir       string        // the instances' data directories and logs
	Instances int           // serve processes (3)
	Duration  time.Duration // how long the load and the kills go on
	KillEvery time.Duration // a SIGKILL every (5 s), the killed instance restarted at once
	// BetweenEvery makes every n-th kill fall between sends: the relay is held at MAIL FROM until
	// no mail is at the end of DATA, then the instance is killed. Such a kill must leave no mail
	// uncertain. 0: none.
	BetweenEvery int
	Rate         float64       // customers' messages a second over SMTP (10)
	IMAPEvery    time.Duration // a message into the polled mailbox every (1 s)
	Snoozes      int           // tickets snoozed to end during the run (5)
	// RelayDelay is the relay's latency before it answers MAIL FROM (200 ms): mail spends it
	// claimed, before the end of DATA, so that kills find some in flight.
	RelayDelay time.Duration
	Drain      time.Duration // how long to wait, after the load, for everything to settle (90 s)
	Log        io.Writer     // progress, a line per event (nil: none)
}

func (c Config) env() []string {
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	return append(append([]string(nil), env...), "POSTDESK_DB="+c.DSN)
}

func (c *Config) defaults() error {
	if c.Binary == "" || c.DSN == "" || c.Dir == "" {
		return errors.New("chaos: Binary, DSN and Dir are required")
	}
	if !strings.HasPrefix(c.DSN, "postgres") {
		return errors.New("chaos: several instances share a PostgreSQL database; SQLite serves one instance per file")
	}
	if c.Instances < 2 {
		c.Instances = 3
	}
	if c.KillEvery <= 0 {
		c.KillEvery = 5 * time.Second
	}
	if c.Rate <= 0 {
		c.Rate = 10
	}
	if c.IMAPEvery <= 0 {
		c.IMAPEvery = time.Second
	}
	if c.Snoozes < 0 {
		c.Snoozes = 0
	}
	if c.RelayDelay == 0 {
		c.RelayDelay = 200 * time.Millisecond
	}
	if c.Drain <= 0 {
		c.Drain = 90 * time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// Kill is one SIGKILL and what followed it.
type Kill struct {
	Instance int
	At       time.Duration // since the start of the load
	Between  bool          // made between sends (the relay held, no mail at the end of DATA)
	Mailbox  bool          // the instance held the mailbox's lease
	InFlight int           // outbox rows claimed (sending or data) just after the kill
	// AtData counts those at the end of DATA once the victim's sessions ended (what it sent just
	// before it died is applied by then; after a kill between sends, nobody's can be there).
	AtData    int
	Stuck     int           // of them, still claimed 3 s after the kill: the killed instance's
	Uncertain int           // of them, uncertain in the end
	Takeover  time.Duration // until every row in flight at the kill was settled or taken over (-1: never)
	// MailboxTakeover is how long after the kill another instance held the mailbox (when the
	// killed one held it; -1: never).
	MailboxTakeover time.Duration
}

// Report is what a run counted.
type Report struct {
	Instances, Kills int
	KillLog          []Kill
	Duration         time.Duration

	Accepted      int      // customers' messages answered 250
	Offers        int      // offers an instance refused or was killed during, made again to another
	Lost          []string // never accepted by any instance
	NotStored     []string // accepted, not in the database
	StoredTwice   []string // accepted, stored more than once
	IMAPAppended  int
	IMAPNotStored []string
	IMAPTwice     []string
	// MailboxSessions is the most sessions that had the mailbox's folder selected at once (1:
	// one poller at a time).
	MailboxSessions int
	MailboxHolders  int // instances that held the mailbox's lease during the run

	Outbox        map[string]int // rows by status at the end
	Relayed       int            // mails the relay received
	RelayedTwice  []string       // Message-IDs the relay received more than once
	NotRelayed    []string       // sent rows the relay never got
	Uncertain     int
	UncertainGot  int // of them, received by the relay (once)
	UnexplainedUn int // uncertain rows that were not at the end of DATA at a kill

	Snoozed     int
	WokenOnce   int
	WokenTwice  []int64 // ticket numbers
	StillAsleep []int64

	StopErrors []string // instances that did not stop cleanly at the end
}

// Run runs the whole of it and reports; an error means the run could not be made (a setup
// failure), not that a guarantee broke: see Report.Problems.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.defaults(); err != nil {
		return Report{}, err
	}
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "[%5.1fs] "+format+"\n", append([]any{time.Since(began).Seconds()}, args...)...)
	}
	r := &run{cfg: cfg, logf: logf}
	defer r.close()
	if err := r.setup(ctx); err != nil {
		return Report{}, err
	}
	return r.exercise(ctx)
}

type run struct {
	cfg       Config
	logf      func(string, ...any)
	relay     *relay
	mailbox   *mailboxServer
	d         *db.DB
	store     *tickets.Store
	instances []*instance
	load      *load
	start     time.Time

	mu    sync.Mutex
	kills []*Kill
	snap  []map[int64]row // per kill: the rows in flight
	wg    sync.WaitGroup  // the takeover watchers
}

type row struct {
	Status   string `db:"status"`
	Attempts int    `db:"attempts"`
	ID       int64  `db:"id"`
}

func (r *run) close() {
	for _, in := range r.instances {
		in.stop()
	}
	if r.relay != nil {
		r.relay.close()
	}
	if r.mailbox != nil {
		r.mailbox.close()
	}
	if r.d != nil {
		r.d.Close()
	}
}

// setup starts the relay and the mailbox, makes the property, its agents and the mailbox with
// the binary's own commands, and starts the instances.
func (r *run) setup(ctx context.Context) error {
	var err error
	if r.relay, err = startRelay(r.cfg.RelayDelay); err != nil {
		return err
	}
	if r.mailbox, err = startMailbox(); err != nil {
		return err
	}
	// The property with the binary's own command (it migrates the database too); the rest in
	// process, which is quicker than a process per command.
	if err := cli(ctx, r.cfg, nil, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example"); err != nil {
		return err
	}
	r.logf("property added (the database migrated)")
	if r.d, err = db.Open(ctx, r.cfg.DSN); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if r.store, err = tickets.Open(ctx, r.d); err != nil {
		return err
	}
	p, err := r.store.PropertyBySlug(ctx, "acme")
	if err != nil {
		return err
	}
	for _, a := range []string{"alice", "bob"} {
		if _, err := r.store.AddAgent(ctx, p.ID, a+"@acme.example", a, ""); err != nil {
			return err
		}
	}
	secret, err := r.store.Secret(ctx)
	if err != nil {
		return err
	}
	boxes, err := mailbox.Open(ctx, r.d, secret)
	if err != nil {
		return err
	}
	since := time.Now().UTC().AddDate(0, 0, -1).Truncate(24 * time.Hour) // everything the run puts there
	if _, err := boxes.Add(ctx, mailbox.New{PropertyID: p.ID, Host: "127.0.0.1", Port: r.mailbox.port, TLS: mailbox.TLSNone,
		Username: imapUser, Password: imapPassword, Folder: "INBOX", After: mailbox.AfterSeen, Since: &since}); err != nil {
		return err
	}
	b := make([]byte, 4)
	rand.Read(b)
	r.load = &load{tag: hex.EncodeToString(b)}
	for i := range r.cfg.Instances {
		in, err := newInstance(i+1, r.cfg, r.relay.addr)
		if err != nil {
			return err
		}
		r.instances = append(r.instances, in)
	}
	r.load.instances = r.instances
	var wg sync.WaitGroup
	errs := make([]error, len(r.instances))
	for i, in := range r.instances {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = in.start(ctx) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.logf("%d instances on one database: SMTP %s", len(r.instances), r.smtpList())
	return nil
}

func (r *run) smtpList() string {
	var s []string
	for _, in := range r.instances {
		s = append(s, in.smtp)
	}
	return strings.Join(s, ", ")
}

// mailboxHolder is the pid in the mailbox's lease (imapfetch names its owner host/pid/random).
func (r *run) mailboxHolder(ctx context.Context) (owner string, pid int) {
	var owners []string
	if err := r.d.SelectContext(ctx, &owners, r.d.Rebind(`SELECT lease_owner FROM mailboxes ORDER BY id LIMIT 1`)); err != nil || len(owners) == 0 {
		return "", 0
	}
	parts := strings.Split(owners[0], "/")
	if len(parts) == 3 {
		pid, _ = strconv.Atoi(parts[1])
	}
	return owners[0], pid
}

// snooze snoozes the first tickets the load made, to end spread over the run's first half.
func (r *run) snooze(ctx context.Context) error {
	if r.cfg.Snoozes == 0 {
		return nil
	}
	for {
		var n int
		if err := r.d.GetContext(ctx, &n, `SELECT COUNT(*) FROM tickets`); err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		if n >= r.cfg.Snoozes {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	s := r.store
	p, err := s.PropertyBySlug(ctx, "acme")
	if err != nil {
		return err
	}
	a, err := s.AgentByEmail(ctx, p.ID, "alice@acme.example")
	if err != nil {
		return err
	}
	for i := range r.cfg.Snoozes {
		at := time.Now().Add(2*time.Second + time.Duration(i)*r.cfg.Duration/time.Duration(2*r.cfg.Snoozes))
		if _, err := s.Snooze(ctx, p, int64(i+1), a, at); err != nil {
			return fmt.Errorf("chaos: snooze #%d: %w", i+1, err)
		}
	}
	r.logf("snoozed tickets #1–#%d, to end within %s", r.cfg.Snoozes, r.cfg.Duration/2+2*time.Second)
	return nil
}
