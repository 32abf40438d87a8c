package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// ratingsCmd counts a property's ratings (tickets.RatingSummary): postdesk ratings --property S
// [--since 2026-11-01] [--json].
func ratingsCmd(ctx context.Context, c *cli, args []string) error {
	var since *string
	var asJSON *bool
	return c.withProperty(ctx, "ratings", args, nil, false, func(fs *flag.FlagSet) {
		since = fs.String("since", "", "count the ratings given from then on: 2026-11-01 or an RFC 3339 time (default: all)")
		asJSON = fs.Bool("json", false, "print JSON")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		var from time.Time
		if *since != "" {
			t, err := tickets.ParseInstant(*since)
			if err != nil {
				return fmt.Errorf("%w: --since %q: a date as 2006-01-02 or an RFC 3339 time", errUsage, *since)
			}
			from = t
		}
		sum, err := sc.store.RatingSummary(ctx, sc.prop.ID, from)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c, sum)
		}
		period := "all time"
		if sum.Since != nil {
			period = "since " + sum.Since.Format("2006-01-02 15:04") + " UTC"
		}
		fmt.Fprintf(c.stdout, "%s, %s: %d ratings\ngood %d · okay %d · bad %d", sc.prop.Slug, period, sum.Total, sum.Good, sum.Okay, sum.Bad)
		if sum.Total > 0 {
			fmt.Fprintf(c.stdout, " · %.0f%% good", 100*sum.GoodShare)
		}
		fmt.Fprintln(c.stdout)
		return nil
	})
}
