package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/tickets"
	"github.com/postdesk/postdesk/web"
	"github.com/postdesk/postdesk/webwire"
)

// runPages measures the web inbox's pages on a seeded property, in process: the server time of
// each page (the handler from request to the last byte, over the real database and session
// lookup), and the weight of a cold load (the page, its stylesheet and its script).
//
//	postdesk-bench pages --db DSN --property bench --n 200
func runPages(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-bench pages", flag.ContinueOnError)
	dsn := fs.String("db", "", "database: a postgres:// URL or a SQLite file path")
	slug := fs.String("property", "bench", "slug of the seeded property")
	n := fs.Int("n", 200, "runs of each page")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *dsn == "" {
		return errors.New("pages: --db is required")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := tickets.Open(ctx, d)
	if err != nil {
		return err
	}
	p, err := st.PropertyBySlug(ctx, *slug)
	if err != nil {
		return err
	}
	agents, err := st.Agents(ctx, p.ID)
	if err != nil || len(agents) == 0 {
		return fmt.Errorf("pages: property %q has no agents: seed it first (%v)", *slug, err)
	}
	viewer := agents[0]
	for _, a := range agents {
		if strings.HasPrefix(a.Email, "agent1@") {
			viewer = a
		}
	}
	au, err := auth.Open(ctx, d, auth.Config{})
	if err != nil {
		return err
	}
	feed, err := live.Open(ctx, d, live.Config{})
	if err != nil {
		return err
	}
	cookie, _, err := au.NewSession(ctx, viewer.ID, "postdesk-bench")
	if err != nil {
		return err
	}
	secret, err := st.Secret(ctx)
	if err != nil {
		return err
	}
	h, err := web.New(web.Config{Store: st, Auth: webwire.Auth{A: au}, Feed: webwire.Feed{F: feed}, Domain: "bench.example", Secret: secret, BaseURL: "http://bench"})
	if err != nil {
		return err
	}
	// A typical ticket: one of the viewer's, with a thread of the seed's usual length.
	var number int64
	if err := d.GetContext(ctx, &number, d.Rebind(`SELECT number FROM tickets WHERE property_id = ? AND message_count BETWEEN 8 AND 12 ORDER BY id DESC LIMIT 1`), p.ID); err != nil {
		return fmt.Errorf("pages: a ticket to show: %w", err)
	}
	var count int64
	if err := d.GetContext(ctx, &count, d.Rebind(`SELECT count(*) FROM tickets WHERE property_id = ?`), p.ID); err != nil {
		return err
	}
	base := "/p/" + p.Slug
	fmt.Fprintf(out, "%s, property %q (%d tickets), viewer %s, %d runs each (server time, in process)\n", d.Dialect, *slug, count, viewer.Email, *n)
	fmt.Fprintf(out, "%-34s %8s %9s %9s %9s %9s\n", "page", "bytes", "p50", "p95", "p99", "max")
	pages := []struct{ name, path string }{
		{"inbox (all, updated desc)", base + "/"},
		{"inbox: mine, high+urgent", base + "/?view=mine&priority=high,urgent"},
		{"inbox: search \"warranty\"", base + "/?q=warranty"},
		{"inbox: open+vip by priority", base + "/?status=open&tag=vip&sort=priority"},
		{"inbox: closed, created asc", base + "/?view=closed&sort=created&order=asc"},
		{fmt.Sprintf("ticket #%d", number), fmt.Sprintf("%s/t/%d", base, number)},
		{"contacts", base + "/contacts"},
	}
	var weight int
	for i, pg := range pages {
		body, lat, err := timePage(h, cookie, pg.path, *n)
		if err != nil {
			return fmt.Errorf("%s: %w", pg.name, err)
		}
		ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
		fmt.Fprintf(out, "%-34s %8d %9s %9s %9s %9s\n", pg.name, len(body), ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
		if i == 0 {
			weight = len(body)
			for _, m := range assetRef.FindAllStringSubmatch(body, -1) {
				a, _, err := timePage(h, cookie, m[1], 1)
				if err != nil {
					return err
				}
				weight += len(a)
			}
		}
	}
	fmt.Fprintf(out, "cold load of the inbox (page + CSS + script, uncompressed): %d bytes\n", weight)
	return nil
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// timePage gets path n times (after a warm-up) as the signed-in agent and returns the last body
// and the sorted latencies.
func timePage(h http.Handler, cookie, path string, n int) (string, []time.Duration, error) {
	get := func() (*httptest.ResponseRecorder, time.Duration) {
		req := httptest.NewRequest("GET", strings.ReplaceAll(path, "&amp;", "&"), nil)
		req.AddCookie(&http.Cookie{Name: "pd_session", Value: cookie})
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		return rec, time.Since(t0)
	}
	for range min(5, n) {
		if rec, _ := get(); rec.Code != http.StatusOK {
			return "", nil, fmt.Errorf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
	}
	lat := make([]time.Duration, 0, n)
	var body string
	for range n {
		rec, took := get()
		if rec.Code != http.StatusOK {
			return "", nil, fmt.Errorf("GET %s: %d", path, rec.Code)
		}
		lat = append(lat, took)
		body = rec.Body.String()
	}
	slices.Sort(lat)
	return body, lat, nil
}
