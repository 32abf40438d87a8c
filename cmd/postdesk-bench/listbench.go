package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/tickets"
)

// runList measures the inbox list query (tickets.Search) on a seeded property:
//
//	postdesk-bench list --db DSN --property bench --n 200
func runList(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-bench list", flag.ContinueOnError)
	dsn := fs.String("db", "", "database: a postgres:// URL or a SQLite file path")
	slug := fs.String("property", "bench", "slug of the seeded property")
	n := fs.Int("n", 200, "runs of each query")
	agent := fs.String("agent", "", "the viewing agent (default: the property's first agent)")
	only := fs.String("only", "", "run only the queries whose name contains this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("list: --db is required")
	}
	if *n < 1 {
		return errors.New("list: --n must be positive")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	st := tickets.New(d)
	p, err := st.PropertyBySlug(ctx, *slug)
	if err != nil {
		return err
	}
	agents, err := st.Agents(ctx, p.ID)
	if err != nil {
		return err
	}
	if len(agents) == 0 {
		return fmt.Errorf("list: property %q has no agents: seed it first", *slug)
	}
	viewer := agents[0]
	for _, a := range agents {
		if strings.HasPrefix(a.Email, "agent1@") {
			viewer = a // the seed's busiest agent
		}
	}
	if *agent != "" {
		if viewer, err = st.AgentByEmail(ctx, p.ID, *agent); err != nil {
			return err
		}
	}
	var count int64
	if err := d.GetContext(ctx, &count, d.Rebind(`SELECT count(*) FROM tickets WHERE property_id = ?`), p.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s, property %q (%d tickets), viewer %s, %d runs each\n", d.Dialect, *slug, count, viewer.Email, *n)
	fmt.Fprintf(out, "%-34s %6s %9s %9s %9s %9s\n", "query", "rows", "p50", "p95", "p99", "max")
	// A rare search: an order number from a subject (the seed writes "Order NNNNNN: …").
	var subject string
	if err := d.GetContext(ctx, &subject, d.Rebind(`SELECT subject FROM tickets WHERE property_id = ? AND subject LIKE 'Order %' ORDER BY id LIMIT 1`), p.ID); err != nil && !db.IsNoRows(err) {
		return err
	}
	order := "123456"
	if f := strings.Fields(strings.TrimPrefix(subject, "Order ")); len(f) > 0 {
		order = strings.TrimSuffix(f[0], ":")
	}
	for _, c := range listCases(order) {
		if *only != "" && !strings.Contains(c.name, *only) {
			continue
		}
		if err := measure(ctx, out, st, p.ID, viewer.ID, c, *n); err != nil {
			return err
		}
	}
	return nil
}

type listCase struct {
	name  string
	q     tickets.Query
	pages int // read this many pages and time the last (1: the first page)
}

// listCases are the queries measured. The search terms are from the seed's vocabulary; in the
// seeded 1000000 messages (100000 tickets), "please" is in 30% of the messages (87% of the
// tickets), "issue" 14% (68%), "warranty" 6% (41%), "outage" 3.5% (28%), "gdpr backup" in 900
// (850), an order number in one or two, "zzzqx" in none.
func listCases(order string) []listCase {
	return []listCase{
		{name: "default view (all, updated desc)", q: tickets.Query{}},
		{name: "fts: issue", q: tickets.Query{Text: "issue"}},
		{name: "fts: warranty", q: tickets.Query{Text: "warranty"}},
		{name: "fts: outage", q: tickets.Query{Text: "outage"}},
		{name: "fts: refund payment", q: tickets.Query{Text: "refund payment"}},
		{name: "fts: gdpr backup", q: tickets.Query{Text: "gdpr backup"}},
		{name: "fts: please (very common)", q: tickets.Query{Text: "please"}},
		{name: "fts: order number (rare)", q: tickets.Query{Text: order}},
		{name: "fts: zzzqx (no match)", q: tickets.Query{Text: "zzzqx"}},
		{name: "mine, high+urgent", q: tickets.Query{View: "mine", Priorities: []string{"high", "urgent"}}},
		{name: "open+vip, by priority", q: tickets.Query{Status: "open", Tags: []string{"vip"}, Sort: "priority"}},
		{name: "unassigned", q: tickets.Query{View: "unassigned"}},
		{name: "closed, created asc", q: tickets.Query{View: "closed", Sort: "created", Asc: true}},
		{name: "fts: warranty + open", q: tickets.Query{Text: "warranty", Status: "open"}},
		{name: "default view, page 10", q: tickets.Query{}, pages: 10},
	}
}

func measure(ctx context.Context, out io.Writer, st *tickets.Store, propertyID, viewerID int64, c listCase, n int) error {
	pages := max(1, c.pages)
	// The cursor of the page before the measured one is fixed once; the runs time one page.
	q := c.q
	for range pages - 1 {
		p, err := st.Search(ctx, propertyID, viewerID, q)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	var rows int
	for range min(5, n) { // warm up
		p, err := st.Search(ctx, propertyID, viewerID, q)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		rows = len(p.Tickets)
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if _, err := st.Search(ctx, propertyID, viewerID, q); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(out, "%-34s %6d %9s %9s %9s %9s\n", c.name, rows, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
	return nil
}
