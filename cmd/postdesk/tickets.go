package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

func ticketsCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "tickets", args, map[string]func(context.Context, *cli, []string) error{
		"list":     ticketsList,
		"create":   ticketsCreate,
		"reply":    ticketsReply,
		"assign":   ticketsAssign,
		"unassign": ticketsUnassign, // lifecycle.go
		"purge":    ticketsPurge,
		"show":     ticketsShow,
		"close":    func(ctx context.Context, c *cli, args []string) error { return ticketsSetStatus(ctx, c, args, "close") },
		"reopen": func(ctx context.Context, c *cli, args []string) error {
			return ticketsSetStatus(ctx, c, args, "reopen")
		},
		"priority": ticketsPriority,
		"tag":      func(ctx context.Context, c *cli, args []string) error { return ticketsTag(ctx, c, args, false) },
		"untag":    func(ctx context.Context, c *cli, args []string) error { return ticketsTag(ctx, c, args, true) },
		"snooze":   ticketsSnooze,
		"unsnooze": ticketsUnsnooze,
		"note":     ticketsNote,
		"trash":    func(ctx context.Context, c *cli, args []string) error { return ticketsMove(ctx, c, args, "trash") },
		"restore":  func(ctx context.Context, c *cli, args []string) error { return ticketsMove(ctx, c, args, "restore") },
		"spam":     func(ctx context.Context, c *cli, args []string) error { return ticketsMove(ctx, c, args, "spam") },
		"unspam":   func(ctx context.Context, c *cli, args []string) error { return ticketsMove(ctx, c, args, "unspam") },
		"block":    func(ctx context.Context, c *cli, args []string) error { return ticketsBlock(ctx, c, args, false) },
		"unblock":  func(ctx context.Context, c *cli, args []string) error { return ticketsBlock(ctx, c, args, true) },
		"export":   ticketsExport,
		"merge":    ticketsMerge,
	})
}

func ticketNumber(rest []string) (int64, error) {
	if len(rest) != 1 {
		return 0, fmt.Errorf("%w: give one ticket number", errUsage)
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(rest[0], "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %q is not a ticket number", errUsage, rest[0])
	}
	return n, nil
}

func ticketsList(ctx context.Context, c *cli, args []string) error {
	var status, waiting, sort, rating *string
	var asJSON *bool
	return c.withProperty(ctx, "tickets list", args, nil, false, func(fs *flag.FlagSet) {
		status = fs.String("status", "open", "open, closed or all")
		waiting = fs.String("waiting", "", "us (the customer waits for an answer) or customer (we answered)")
		sort = fs.String("sort", "updated", "updated (the latest change first) or waiting (the longest waiting for us first)")
		rating = fs.String("rating", "", "the customer's rating: good, okay, bad or none (not rated)")
		asJSON = fs.Bool("json", false, "print JSON")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		ts, err := sc.store.List(ctx, sc.prop.ID, tickets.ListFilter{Status: *status, Waiting: *waiting, Sort: *sort, Rating: *rating})
		if err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		if *asJSON {
			return writeJSON(c, ts)
		}
		now := sc.store.Now()
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "#\tSTATUS\tWAITING\tPRIORITY\tCUSTOMER\tMSGS\tUPDATED\tSUBJECT")
		for _, t := range ts {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", t.Number, t.Status, waitingCell(t, now), t.Priority, t.Customer, t.Messages, t.UpdatedAt.Format("2006-01-02 15:04"), t.Subject)
		}
		return w.Flush()
	})
}

// waitingCell is who a ticket waits for, as the list shows it: "us 3h20m" (how long the
// customer has waited), "customer", or "-" (closed).
func waitingCell(t tickets.Ticket, now time.Time) string {
	switch {
	case t.Waiting == nil:
		return "-"
	case *t.Waiting == tickets.WaitingUs:
		return "us " + shortDuration(t.WaitingFor(now))
	}
	return *t.Waiting
}

// shortDuration is d to the minute, for people: 45m, 3h20m, 2d5h.
func shortDuration(d time.Duration) string {
	m := int64(d / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m < 48*60:
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
	return fmt.Sprintf("%dd%dh", m/(24*60), m/60%24)
}

// timesLine is what a ticket's waiting and times say, for tickets show: who it waits for and how
// long, its first-response time, its resolution time.
func timesLine(t tickets.Ticket, now time.Time) string {
	var parts []string
	switch {
	case t.Waiting == nil:
	case *t.Waiting == tickets.WaitingUs:
		parts = append(parts, "waiting for us for "+shortDuration(t.WaitingFor(now)))
	default:
		parts = append(parts, "waiting for the customer since "+t.WaitingSince.Format("2006-01-02 15:04"))
	}
	if d, ok := t.FirstResponseTime(); ok {
		parts = append(parts, "first response after "+shortDuration(d))
	} else {
		parts = append(parts, "no response yet")
	}
	if d, ok := t.ResolutionTime(); ok {
		parts = append(parts, "resolved in "+shortDuration(d))
	}
	return strings.Join(parts, " · ")
}

func ticketsShow(ctx context.Context, c *cli, args []string) error {
	var asJSON, full *bool
	return c.withProperty(ctx, "tickets show", args, nil, false, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON")
		full = fs.Bool("full", false, "show each message's full text, with the quoted history and signature")
	}, func(sc scoped) error {
		n, err := ticketNumber(sc.rest)
		if err != nil {
			return err
		}
		t, err := followMerged(ctx, sc, c, n, *asJSON)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c, t)
		}
		fmt.Fprintf(c.stdout, "#%d %s\nstatus %s · priority %s · customer %s · %d messages · created %s\n",
			t.Number, t.Subject, t.Status, t.Priority, t.Customer, t.MessageCount, t.CreatedAt.Format("2006-01-02 15:04"))
		fmt.Fprintln(c.stdout, timesLine(t.Ticket, sc.store.Now()))
		if t.FollowsUp != nil {
			fmt.Fprintf(c.stdout, "follows up #%d\n", *t.FollowsUp)
		}
		if r := t.RatingDetail; r != nil {
			fmt.Fprintf(c.stdout, "rated %s by %s on %s", r.Rating, r.Customer, r.ChangedAt.Format("2006-01-02 15:04"))
			if r.Comment != "" {
				fmt.Fprintf(c.stdout, ": %q", r.Comment)
			}
			fmt.Fprintln(c.stdout)
		}
		for _, m := range t.Messages {
			fmt.Fprintf(c.stdout, "\n--- %s %s from %s (%s) · %s\nSubject: %s\n\n%s\n",
				m.CreatedAt.Format("2006-01-02 15:04"), m.Direction, m.From, m.Kind, m.Threading, m.Subject, shownText(m, *full))
			for _, a := range m.Attachments {
				fmt.Fprintf(c.stdout, "[attachment %s, %s, %d bytes]\n", a.Filename, a.ContentType, a.Size)
			}
		}
		for _, e := range t.Events {
			if strings.HasPrefix(e.Kind, "mail-") {
				fmt.Fprintf(c.stdout, "\n! %s %s: %s\n", e.CreatedAt.Format("2006-01-02 15:04"), e.Kind, e.Detail)
			}
		}
		return nil
	})
}

func ticketsSetStatus(ctx context.Context, c *cli, args []string, verb string) error {
	// Mailing: a close mails the customer when the property asks for it.
	return c.withProperty(ctx, "tickets "+verb, args, mailKeys, true, nil, func(sc scoped) error {
		n, err := ticketNumber(sc.rest)
		if err != nil {
			return err
		}
		set := sc.store.Close
		if verb == "reopen" {
			set = sc.store.Reopen
		}
		t, err := set(ctx, sc.prop.ID, n, tickets.ActorCLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d is %s\n", t.Number, t.Status)
		return nil
	})
}

// shownText is a message's trimmed reply, or its full text when asked or when trimming left
// nothing.
func shownText(m tickets.Message, full bool) string {
	if full || strings.TrimSpace(m.Trimmed) == "" {
		return strings.TrimSpace(m.Text)
	}
	return strings.TrimSpace(m.Trimmed)
}
