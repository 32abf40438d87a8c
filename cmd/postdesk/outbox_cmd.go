package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/outbox"
)

// outboxCmd is the outbox by hand: what is waiting, failed or uncertain, and what to do with it.
func outboxCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "outbox", args, map[string]func(context.Context, *cli, []string) error{
		"list":  outboxList,
		"retry": outboxRetry,
		"drop":  outboxDrop,
	})
}

// openOutbox opens the database and the queue over it.
func (c *cli) openOutbox(ctx context.Context, cfg *config.Config) (*db.DB, *outbox.Queue, error) {
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, nil, err
	}
	q, err := outbox.Open(ctx, d, c.now)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, q, nil
}

// outboxView is a row as the CLI shows it (never its bytes).
type outboxView struct {
	ID            int64      `json:"id"`
	PropertyID    int64      `json:"property_id"`
	TicketID      *int64     `json:"ticket_id"`
	MessageID     string     `json:"message_id"`
	Kind          string     `json:"kind"`
	Automatic     bool       `json:"automatic"`
	From          string     `json:"from"`
	Rcpts         []string   `json:"rcpts"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
}

func viewOf(m outbox.Mail) outboxView {
	return outboxView{ID: m.ID, PropertyID: m.PropertyID, TicketID: m.TicketID, MessageID: m.MessageID, Kind: m.Kind,
		Automatic: m.Automatic, From: m.From, Rcpts: m.Rcpts(), Status: m.Status, Attempts: m.Attempts,
		NextAttemptAt: m.NextAttemptAt, LastError: m.LastError, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
}

func outboxList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("outbox list")
	status := fs.String("status", "", "pending (queued or being sent), failed, uncertain, sent or all (default: every mail not sent)")
	limit := fs.Int("limit", 100, "at most this many, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if _, err := outbox.Statuses(*status); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	d, q, err := c.openOutbox(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	ms, err := q.List(ctx, *status, *limit)
	if err != nil {
		return err
	}
	rows := make([]outboxView, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, viewOf(m))
	}
	if *asJSON {
		return writeJSON(c, rows)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATUS\tATTEMPTS\tQUEUED\tNEXT\tKIND\tTICKET\tTO\tLAST ERROR")
	for _, r := range rows {
		ticket, next := "-", "-"
		if r.TicketID != nil {
			ticket = strconv.FormatInt(*r.TicketID, 10)
		}
		if r.Status == outbox.Queued {
			next = r.NextAttemptAt.UTC().Format(time.DateTime)
		}
		fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Attempts, r.CreatedAt.UTC().Format(time.DateTime),
			next, r.Kind, ticket, oneLine(fmt.Sprint(r.Rcpts), 40), oneLine(r.LastError, 60))
	}
	return w.Flush()
}

func outboxRetry(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("outbox retry")
	all := fs.Bool("all-failed", false, "queue every failed mail again (never an uncertain one)")
	force := fs.Bool("force", false, "also an uncertain mail, which the relay may have delivered already")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if *all == (len(rest) == 1) || len(rest) > 1 {
		return fmt.Errorf("%w: postdesk outbox retry (ID [--force] | --all-failed)", errUsage)
	}
	var id int64
	if !*all {
		if id, err = strconv.ParseInt(rest[0], 10, 64); err != nil {
			return fmt.Errorf("%w: outbox mail ID %q", errUsage, rest[0])
		}
	}
	d, q, err := c.openOutbox(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	if *all {
		ms, err := q.RequeueFailed(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%d failed mails queued again\n", len(ms))
		return nil
	}
	m, err := q.Requeue(ctx, id, *force)
	if errors.Is(err, outbox.ErrMayBeDelivered) {
		return fmt.Errorf("mail %d to %s is uncertain: it may already have been delivered (it was interrupted after the end of DATA: %s). Check with the recipient or the relay's log; give --force to send it again anyway, which may deliver it twice", id, m.RcptList, m.LastError)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "mail %d to %s queued again (it was %s)\n", m.ID, m.RcptList, m.Status)
	if m.Status == outbox.Uncertain {
		fmt.Fprintln(c.stderr, "warning: the relay may have delivered it already; the recipient may get it twice")
	}
	return nil
}

func outboxDrop(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("outbox drop")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: postdesk outbox drop ID", errUsage)
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: outbox mail ID %q", errUsage, rest[0])
	}
	d, q, err := c.openOutbox(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := q.Drop(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "mail %d to %s dropped (it was %s); it will not be sent\n", m.ID, m.RcptList, m.Status)
	return nil
}
