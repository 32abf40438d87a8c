package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// ticketsMerge is "tickets merge --property S --into A B": B's messages, participants, tags and
// events move to A, and B's number redirects to A (tickets.Store.Merge).
func ticketsMerge(ctx context.Context, c *cli, args []string) error {
	var into *string
	return c.withProperty(ctx, "tickets merge", args, nil, false, func(fs *flag.FlagSet) {
		into = fs.String("into", "", "the ticket number to merge into (it keeps its customer)")
	}, func(sc scoped) error {
		from, err := ticketNumber(sc.rest)
		if err != nil {
			return err
		}
		a, err := strconv.ParseInt(strings.TrimPrefix(*into, "#"), 10, 64)
		if err != nil || a <= 0 {
			return fmt.Errorf("%w: --into %q: give the ticket number to merge into", errUsage, *into)
		}
		t, err := sc.store.Merge(ctx, sc.prop, a, from, tickets.ActorCLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d was merged into #%d (%d messages)\n", from, t.Number, t.Messages)
		return nil
	})
}

// followMerged is the ticket a read of number n shows: n itself, or — when n was merged — the
// ticket it was merged into, said on w.
func followMerged(ctx context.Context, sc scoped, c *cli, n int64, asJSON bool) (tickets.TicketDetail, error) {
	t, err := sc.store.Detail(ctx, sc.prop.ID, n)
	var me *tickets.MergedError
	if !errors.As(err, &me) {
		return t, err
	}
	w := c.stdout
	if asJSON {
		w = c.stderr // the JSON stays one value
	}
	fmt.Fprintf(w, "#%d was merged into #%d\n", me.Number, me.Into)
	return sc.store.Detail(ctx, sc.prop.ID, me.Into)
}
