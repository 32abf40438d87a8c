// Command postdesk is an email-first helpdesk: it receives support mail over SMTP/LMTP, threads it
// into tickets, and lets agents work them. See the README for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/tickets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// cli is one invocation: its streams and environment.
type cli struct {
	stdout, stderr io.Writer
	env            func(string) string
	// now is the clock of the store (and so of snoozes, the outbox and sessions): nil is the
	// real one; tests set a settable one (runWith).
	now func() time.Time
	// probe, when set, makes commands describe themselves instead of running (help.go).
	probe *probe
}

type command struct {
	name, usage string
	run         func(ctx context.Context, c *cli, args []string) error
}

// errUsage marks an error in how the command was called (exit status 2).
var errUsage = errors.New("usage")

func commands() []command {
	return []command{
		{"init", "--domain D: set the installation's mail domain (stored in the database, used by every command)", initCmd},
		{"serve", "run the daemon: SMTP/LMTP intake, IMAP polling, the HTTP API", serve},
		{"property", "properties (brands, each with its own inbox), their own mail texts, their DKIM keys", property},
		{"agent", "agents of a property, their API tokens, their web inbox password, their signature", agent},
		{"department", "departments of a property", department},
		{"tickets", "work tickets", ticketsCmd},
		{"saved-reply", "a property's saved replies: named texts agents insert in a reply", savedReply},
		{"contacts", "a property's customers and the tickets of each", contactsCmd},
		{"ratings", "--property S: the customers' ratings of their closed tickets, counted (ratings_cmd.go)", ratingsCmd},
		{"templates", "print a sample of a mail postdesk sends", templatesCmd},
		{"mailbox", "IMAP mailboxes to poll (by password or OAuth2)", mailboxCmd},
		{"system", "kept mail that is no ticket (postmaster, unmatched robots)", systemCmd},
		{"outbox", "outgoing mail by hand: what waits, failed or is uncertain", outboxCmd},
		{"relay", "send one mail through the configured relay and show the SMTP dialogue; its OAuth2 sign-in", relayCmd},
		{"backup", "an online copy of the SQLite database (--out FILE)", backup},
		{"restore", "put a backup in place of the database (--from FILE)", restore},
		{"version", "the module version and commit this binary was built from", version},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	return runWith(ctx, args, stdout, stderr, env, nil)
}

// runWith is run with a clock (nil: the real one).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, now func() time.Time) int {
	c := &cli{stdout: stdout, stderr: stderr, env: env, now: now}
	if len(args) == 0 || helpArg(args[0]) {
		c.usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, cmd := range commands() {
		if cmd.name != args[0] {
			continue
		}
		err := cmd.run(ctx, c, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "postdesk %s: %v\n", cmd.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "postdesk %s: %v\n", cmd.name, explain(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "postdesk: unknown command %q\n", args[0])
	c.usage()
	return 2
}

// explain strips the package prefixes that help a developer but not an admin.
func explain(err error) string {
	s := err.Error()
	for _, p := range []string{"tickets: ", "auth: ", "db: ", "config: ", "mailbox: ", "smtpd: ", "relay: ", "dkimkeys: ", "outbox: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return strings.ReplaceAll(s, "imapfetch: ", "imap: ")
}

// flags returns a flag set for a subcommand whose errors are reported once, by run.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("postdesk "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	if c.probe != nil {
		c.probe.sets = append(c.probe.sets, fs)
	}
	return fs
}

// load parses a subcommand's flags together with the settings it uses (always the database).
func (c *cli) load(fs *flag.FlagSet, args []string, keys ...string) (*config.Config, []string, error) {
	return c.loadKeys(fs, args, append(keys, "db", "data_dir"))
}

// defaultConfigFile is read when no --config or POSTDESK_CONFIG names a file and it exists (the
// tests set it to "": a host's own file must not change them).
var defaultConfigFile = config.DefaultFile

// loadKeys is load with exactly keys (all settings when keys is empty).
func (c *cli) loadKeys(fs *flag.FlagSet, args []string, keys []string) (*config.Config, []string, error) {
	cfg, rest, err := config.LoadDefault(fs, args, c.env, defaultConfigFile, keys...)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return cfg, rest, nil
}

// open opens the database (applying migrations) and the store over it, its queries prepared, and
// settles cfg.Domain with the database's.
func (c *cli) open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*db.DB, *tickets.Store, error) {
	d, s, err := c.openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	// The mail domain is the database's: stored the first time one is given, used by every
	// command after, and a different one is refused (tickets.ResolveDomain).
	if cfg.Domain, err = s.ResolveDomain(ctx, cfg.Domain); err != nil {
		d.Close()
		if errors.Is(err, tickets.ErrDomainMismatch) {
			err = fmt.Errorf("%w: %w", errUsage, err)
		}
		return nil, nil, err
	}
	return d, s, nil
}

// openStore is open without the domain.
func (c *cli) openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*db.DB, *tickets.Store, error) {
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Open prepares every statement of the store: a broken query fails here, at start.
	opts := []tickets.Option{tickets.WithLogger(log)}
	if c.now != nil {
		opts = append(opts, tickets.WithClock(c.now))
	}
	s, err := tickets.Open(ctx, d, opts...)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, s, nil
}

// scoped is what a command scoped to one property works with, once its flags, settings and
// --property have been checked.
type scoped struct {
	store *tickets.Store
	prop  tickets.Property
	cfg   *config.Config
	rest  []string // positional arguments
}

// withProperty runs a property-scoped command: define adds the command's own flags; keys are the
// settings it uses besides the database; with mailing, changes queue their mail (see mailingStore).
func (c *cli) withProperty(ctx context.Context, name string, args []string, keys []string, mailing bool, define func(*flag.FlagSet), run func(scoped) error) error {
	fs := c.flags(name)
	prop := fs.String("property", "", "property slug (required)")
	if define != nil {
		define(fs)
	}
	cfg, rest, err := c.load(fs, args, keys...)
	if err != nil {
		return err
	}
	var s *tickets.Store
	var done func()
	if mailing {
		if s, done, err = c.mailingStore(ctx, cfg); err != nil {
			return err
		}
	} else {
		d, st, err := c.open(ctx, cfg, nil)
		if err != nil {
			return err
		}
		s, done = st, func() { d.Close() }
	}
	defer done()
	p, err := propertyArg(ctx, s, *prop)
	if err != nil {
		return err
	}
	return run(scoped{store: s, prop: p, cfg: cfg, rest: rest})
}

// propertyArg resolves --property, which every ticket command needs.
func propertyArg(ctx context.Context, s *tickets.Store, slug string) (tickets.Property, error) {
	if slug == "" {
		return tickets.Property{}, fmt.Errorf("%w: --property is required", errUsage)
	}
	p, err := s.PropertyBySlug(ctx, slug)
	if errors.Is(err, tickets.ErrNotFound) {
		return tickets.Property{}, fmt.Errorf("unknown property %q (see 'postdesk property list')", slug)
	}
	return p, err
}
