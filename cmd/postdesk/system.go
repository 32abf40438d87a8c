package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// systemCmd reads the mail kept outside tickets: mail to postmaster@, and robot mail (auto-replies,
// bounces, challenges) that threads into no ticket.
func systemCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "system", args, map[string]func(context.Context, *cli, []string) error{
		"list":      systemList,
		"show":      systemShow,
		"retention": systemRetention,
	})
}

// systemProperty is --property resolved, 0 when not given.
func systemProperty(ctx context.Context, s *tickets.Store, slug string) (int64, error) {
	if slug == "" {
		return 0, nil
	}
	p, err := propertyArg(ctx, s, slug)
	return p.ID, err
}

func systemList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("system list")
	prop := fs.String("property", "", "only this property's (default: all, and postmaster mail)")
	kind := fs.String("kind", "", "robot or postmaster (default: both)")
	class := fs.String("class", "", "the classifier's verdict: auto-reply, bounce, challenge-response, list…")
	limit := fs.Int("limit", 100, "at most this many, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if *kind != "" && *kind != tickets.SystemRobot && *kind != tickets.SystemPostmaster {
		return fmt.Errorf("%w: --kind %q: robot or postmaster", errUsage, *kind)
	}
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	pid, err := systemProperty(ctx, s, *prop)
	if err != nil {
		return err
	}
	ms, err := s.ListSystemMail(ctx, tickets.SystemMailFilter{PropertyID: pid, Kind: *kind, Class: *class, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c, ms)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKEPT\tKIND\tCLASS\tPROPERTY\tFROM\tSUBJECT")
	for _, m := range ms {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.CreatedAt.UTC().Format(time.DateTime), m.Kind, m.Class, m.Property, m.From, oneLine(m.Subject, 60))
	}
	return w.Flush()
}

func systemShow(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("system show")
	prop := fs.String("property", "", "the property it came to (a check; default: any)")
	raw := fs.Bool("raw", false, "print the mail's bytes as received")
	asJSON := fs.Bool("json", false, "print JSON (with the text)")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: postdesk system show [--raw|--json] ID", errUsage)
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: system mail ID %q", errUsage, rest[0])
	}
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	pid, err := systemProperty(ctx, s, *prop)
	if err != nil {
		return err
	}
	m, err := s.SystemMailByID(ctx, pid, id)
	if err != nil {
		return err
	}
	switch {
	case *raw:
		_, err = c.stdout.Write(m.Raw)
		return err
	case *asJSON:
		return writeJSON(c, m)
	}
	fmt.Fprintf(c.stdout, "ID: %d\nKept: %s\nKind: %s\nClass: %s\nProperty: %s\nEnvelope from: %s\nFrom: %s\nSubject: %s\nMessage-ID: %s\n",
		m.ID, m.CreatedAt.UTC().Format(time.RFC3339), m.Kind, m.Class, m.Property, m.EnvelopeFrom, m.From, m.Subject, m.MessageID)
	if m.Problems != "" {
		fmt.Fprintf(c.stdout, "Problems: %s\n", strings.ReplaceAll(m.Problems, "\n", "; "))
	}
	fmt.Fprintf(c.stdout, "\n%s\n", m.Text)
	return nil
}

func systemRetention(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("system retention")
	set := fs.Duration("set", 0, "keep robot system mail this long (at least 1h; default 720h)")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	if *set != 0 {
		if err := s.SetSystemMailRetention(ctx, *set); err != nil {
			return err
		}
	}
	keep, err := s.SystemMailRetention(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, keep)
	return nil
}

// oneLine is s on one line, cut to n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
