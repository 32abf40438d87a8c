package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/postdesk/postdesk/chaos"
)

// runChaos is 'postdesk-bench chaos': several 'postdesk serve' processes on one PostgreSQL
// database under load, one killed with SIGKILL every few seconds and restarted, for as long as
// asked; it prints what the guarantees promise, counted, and exits 1 when one broke.
//
//	postdesk-bench chaos --postdesk ./postdesk --db 'postgres://…/postdesk_chaos' --instances 3 --duration 5m
func runChaos(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-bench chaos", flag.ContinueOnError)
	cfg := chaos.Config{Log: out}
	binary := fs.String("postdesk", "postdesk", "the postdesk binary to run (go build ./cmd/postdesk)")
	fs.StringVar(&cfg.DSN, "db", "", "an empty PostgreSQL database of its own: it is filled with test mail (required)")
	fs.IntVar(&cfg.Instances, "instances", 3, "postdesk serve processes on the database")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Minute, "how long the load and the kills go on")
	fs.DurationVar(&cfg.KillEvery, "kill-every", 10*time.Second, "a SIGKILL every (the instances in turn; each restarted at once)")
	fs.IntVar(&cfg.BetweenEvery, "between-every", 2, "every n-th kill falls between sends (the relay held until no mail is at the end of DATA): it must leave no mail uncertain; 0: none")
	fs.Float64Var(&cfg.Rate, "rate", 20, "customers' messages a second over SMTP, spread over the instances")
	fs.DurationVar(&cfg.IMAPEvery, "imap-every", time.Second, "a message into the polled mailbox every")
	fs.IntVar(&cfg.Snoozes, "snoozes", 20, "tickets snoozed to end during the first half of the run")
	fs.DurationVar(&cfg.RelayDelay, "relay-delay", 200*time.Millisecond, "the relay's latency at MAIL FROM (mail in flight for the kills to find)")
	fs.DurationVar(&cfg.Drain, "drain", 3*time.Minute, "how long to wait after the load for everything to settle")
	fs.StringVar(&cfg.Dir, "dir", "", "the instances' data directories and logs (default: a new temporary directory, kept)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DSN == "" {
		return fmt.Errorf("chaos: --db is required (PostgreSQL; SQLite serves one instance per file)")
	}
	bin, err := exec.LookPath(*binary)
	if err != nil {
		return fmt.Errorf("chaos: --postdesk %s: %w", *binary, err)
	}
	cfg.Binary = bin
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "postdesk-chaos-"); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "logs in %s\n", cfg.Dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := chaos.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Print(out)
	if p := rep.Problems(); len(p) > 0 {
		return fmt.Errorf("chaos: %d guarantees broken", len(p))
	}
	return nil
}
