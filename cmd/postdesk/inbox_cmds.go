package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// The inbox from the command line: API tokens, and the ticket operations beyond reply and assign.

// agentToken prints a new API token for an agent of a property (or revokes them all).
func agentToken(ctx context.Context, c *cli, args []string) error {
	var email, name *string
	var revoke *bool
	return c.withProperty(ctx, "agent token", args, nil, false, func(fs *flag.FlagSet) {
		email = fs.String("email", "", "the agent's email address (required)")
		name = fs.String("name", "", "a label for the token, to tell it apart later")
		revoke = fs.Bool("revoke", false, "revoke every token of the agent on the property instead")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *email == "" {
			return fmt.Errorf("%w: --email is required", errUsage)
		}
		if *revoke {
			n, err := sc.store.RevokeTokens(ctx, sc.prop, *email)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "revoked %d tokens of %s on %s\n", n, *email, sc.prop.Slug)
			return nil
		}
		token, err := sc.store.CreateToken(ctx, sc.prop, *email, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, token)
		fmt.Fprintln(c.stderr, "Keep this token: it is shown only once. Use it as 'Authorization: Bearer <token>'.")
		return nil
	})
}

// asAgent runs a ticket command acting as --as AGENT on ticket N (the first argument); the rest of
// the arguments go to run.
func (c *cli) asAgent(ctx context.Context, name string, args []string, mailing bool, define func(*flag.FlagSet),
	run func(sc scoped, a tickets.Agent, n int64, rest []string) error) error {
	var as *string
	var keys []string
	if mailing {
		keys = mailKeys
	}
	return c.withProperty(ctx, "tickets "+name, args, keys, mailing, func(fs *flag.FlagSet) {
		as = fs.String("as", "", "the agent doing it, by email (required)")
		if define != nil {
			define(fs)
		}
	}, func(sc scoped) error {
		if len(sc.rest) == 0 {
			return fmt.Errorf("%w: give a ticket number", errUsage)
		}
		n, err := ticketNumber(sc.rest[:1])
		if err != nil {
			return err
		}
		if *as == "" {
			return fmt.Errorf("%w: --as is required", errUsage)
		}
		a, err := sc.store.AgentByEmail(ctx, sc.prop.ID, *as)
		if err != nil {
			return err
		}
		return run(sc, a, n, sc.rest[1:])
	})
}

func ticketsPriority(ctx context.Context, c *cli, args []string) error {
	return c.asAgent(ctx, "priority", args, false, nil, func(sc scoped, a tickets.Agent, n int64, rest []string) error {
		if len(rest) != 1 {
			return fmt.Errorf("%w: postdesk tickets priority --property S --as AGENT N %s", errUsage, strings.Join(tickets.Priorities, "|"))
		}
		t, err := sc.store.SetPriority(ctx, sc.prop, n, a, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d is %s priority\n", t.Number, t.Priority)
		return nil
	})
}

func ticketsTag(ctx context.Context, c *cli, args []string, remove bool) error {
	verb := "tag"
	if remove {
		verb = "untag"
	}
	return c.asAgent(ctx, verb, args, false, nil, func(sc scoped, a tickets.Agent, n int64, rest []string) error {
		if len(rest) == 0 {
			return fmt.Errorf("%w: postdesk tickets %s --property S --as AGENT N TAG [TAG ...]", errUsage, verb)
		}
		add, del := rest, []string(nil)
		if remove {
			add, del = nil, rest
		}
		t, err := sc.store.Retag(ctx, sc.prop, n, a, add, del)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d tags: %s\n", t.Number, strings.Join(t.Tags, ", "))
		return nil
	})
}

func ticketsSnooze(ctx context.Context, c *cli, args []string) error {
	var until *string
	var dur *time.Duration
	return c.asAgent(ctx, "snooze", args, false, func(fs *flag.FlagSet) {
		until = fs.String("until", "", "wake it at this time (RFC 3339: 2026-12-01T09:00:00Z)")
		dur = fs.Duration("for", 0, "wake it after this long (90m, 48h)")
	}, func(sc scoped, a tickets.Agent, n int64, rest []string) error {
		if err := noArgs(rest); err != nil {
			return err
		}
		var at time.Time
		switch {
		case *until != "" && *dur != 0:
			return fmt.Errorf("%w: give --until or --for, not both", errUsage)
		case *until != "":
			var err error
			if at, err = time.Parse(time.RFC3339, *until); err != nil {
				return fmt.Errorf("%w: --until %q: a time as 2026-12-01T09:00:00Z", errUsage, *until)
			}
		case *dur > 0:
			at = sc.store.Now().Add(*dur)
		default:
			return fmt.Errorf("%w: --until TIME or --for DURATION is required", errUsage)
		}
		t, err := sc.store.Snooze(ctx, sc.prop, n, a, at)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d snoozed until %s\n", t.Number, at.UTC().Format(time.RFC3339))
		return nil
	})
}

func ticketsUnsnooze(ctx context.Context, c *cli, args []string) error {
	return c.asAgent(ctx, "unsnooze", args, false, nil, func(sc scoped, a tickets.Agent, n int64, rest []string) error {
		if err := noArgs(rest); err != nil {
			return err
		}
		t, err := sc.store.Unsnooze(ctx, sc.prop, n, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d is back in the open views\n", t.Number)
		return nil
	})
}

func ticketsNote(ctx context.Context, c *cli, args []string) error {
	var bodyFile *string
	var attach multi
	return c.asAgent(ctx, "note", args, true, func(fs *flag.FlagSet) {
		bodyFile = fs.String("body-file", "", "file with the note (- for standard input)")
		fs.Var(&attach, "attach", "a file to attach; repeat for several")
	}, func(sc scoped, a tickets.Agent, n int64, rest []string) error {
		if err := noArgs(rest); err != nil {
			return err
		}
		out, err := outgoing(*bodyFile, attach)
		if err != nil {
			return err
		}
		t, err := sc.store.Note(ctx, sc.prop, n, a, out, tickets.NewMessageID(sc.cfg.Domain))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "note added to #%d; the other agents involved get a copy\n", t.Number)
		return nil
	})
}

// ticketsMove runs trash, restore, spam or unspam on one ticket.
func ticketsMove(ctx context.Context, c *cli, args []string, verb string) error {
	return c.withProperty(ctx, "tickets "+verb, args, nil, false, nil, func(sc scoped) error {
		n, err := ticketNumber(sc.rest)
		if err != nil {
			return err
		}
		do := map[string]func(context.Context, tickets.Property, int64, tickets.Actor) (tickets.Ticket, error){
			"trash": sc.store.Trash, "restore": sc.store.Restore, "spam": sc.store.MarkSpam, "unspam": sc.store.UnmarkSpam,
		}[verb]
		t, err := do(ctx, sc.prop, n, tickets.ActorCLI)
		if err != nil {
			return err
		}
		done := map[string]string{"trash": "is in the trash", "restore": "is out of the trash", "spam": "is spam", "unspam": "is not spam"}[verb]
		fmt.Fprintf(c.stdout, "#%d %s\n", t.Number, done)
		return nil
	})
}

func ticketsBlock(ctx context.Context, c *cli, args []string, unblock bool) error {
	verb := "block"
	if unblock {
		verb = "unblock"
	}
	return c.withProperty(ctx, "tickets "+verb, args, nil, false, nil, func(sc scoped) error {
		if len(sc.rest) != 1 {
			return fmt.Errorf("%w: postdesk tickets %s --property S EMAIL", errUsage, verb)
		}
		email := sc.rest[0]
		if unblock {
			if err := sc.store.Unblock(ctx, sc.prop, email, tickets.ActorCLI); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s is no longer blocked\n", email)
			return nil
		}
		res, err := sc.store.Block(ctx, sc.prop, sc.cfg.Domain, email, tickets.ActorCLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s is blocked; removed %d messages and %d tickets\n", email, res.Messages, res.Tickets)
		return nil
	})
}

func ticketsExport(ctx context.Context, c *cli, args []string) error {
	var numbers, out *string
	return c.withProperty(ctx, "tickets export", args, nil, false, func(fs *flag.FlagSet) {
		numbers = fs.String("numbers", "", fmt.Sprintf("ticket numbers, comma-separated: 1,2,3 (at most %d; required)", tickets.MaxExport))
		out = fs.String("out", "-", "file to write the JSON to (- for standard output)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		var ns []int64
		for _, f := range strings.Split(*numbers, ",") {
			if f = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f), "#")); f == "" {
				continue
			}
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("%w: --numbers: %q is not a ticket number", errUsage, f)
			}
			ns = append(ns, n)
		}
		if len(ns) == 0 {
			return fmt.Errorf("%w: --numbers is required", errUsage)
		}
		ex, err := sc.store.Export(ctx, sc.prop, ns)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(ex, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if *out == "-" {
			_, err = c.stdout.Write(b)
			return err
		}
		if err := os.WriteFile(*out, b, 0o600); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(c.stdout, "%d tickets written to %s\n", len(ex.Tickets), *out)
		return nil
	})
}
