package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// The seeder and the list benchmark on a small property, on both engines: the seeded data is
// what the benchmark reads (a query that finds nothing, or a seeder that writes rows the
// queries cannot see, fails here, not in a 100k run).
func TestSeedThenList(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			var out bytes.Buffer
			if err := run([]string{"seed", "--db", dsn, "--tickets", "300", "--messages", "1500", "--agents", "3"}, &out); err != nil {
				t.Fatalf("seed: %v\n%s", err, out.String())
			}
			out.Reset()
			if err := run([]string{"list", "--db", dsn, "--n", "2"}, &out); err != nil {
				t.Fatalf("list: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "p99") || strings.Count(out.String(), "\n") < 5 {
				t.Fatalf("list printed:\n%s", out.String())
			}
			// The default view's first page is full: the seeded tickets are visible to the query.
			for _, line := range strings.Split(out.String(), "\n") {
				f := strings.Fields(line)
				if len(f) > 2 && strings.HasPrefix(line, "default view") && !strings.Contains(line, "page") {
					if rows := f[len(f)-5]; rows == "0" {
						t.Fatalf("the default view found nothing:\n%s", out.String())
					}
					return
				}
			}
			t.Fatalf("no default view line:\n%s", out.String())
		})
	}
}
