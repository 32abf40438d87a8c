package api_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/api"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// routeHeading is how README.md lists a route: ### `METHOD /path` (role)
var routeHeading = regexp.MustCompile("^### `([A-Z]+) (/\\S*)` \\((\\w+)\\)$")

// TestReferenceListsEveryRouteAndNothingElse keeps README.md true: every route the server
// registers is documented with its role, every documented route is served, and a request to each
// documented route reaches its handler (never the not-found fallback).
func TestReferenceListsEveryRouteAndNothingElse(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "### ") {
			continue
		}
		m := routeHeading.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README.md: heading %q is not \"### `METHOD /path` (role)\"", line)
			continue
		}
		key := m[1] + " " + m[2]
		if _, dup := documented[key]; dup {
			t.Errorf("README.md documents %s twice", key)
		}
		documented[key] = m[3]
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := api.New(api.Config{Store: tickets.New(d), Domain: "desk.example", Metrics: http.NotFoundHandler()})
		served := map[string]bool{}
		for _, r := range s.Routes() {
			key := r.Method + " " + r.Path
			served[key] = true
			role, ok := documented[key]
			switch {
			case !ok:
				t.Errorf("%s is served but not in README.md", key)
			case role != r.Role:
				t.Errorf("%s: README.md says %s, the server requires %s", key, role, r.Role)
			}
		}
		for key := range documented {
			if !served[key] {
				t.Errorf("README.md documents %s, which is not served", key)
				continue
			}
			// With the path's variables filled in, the request reaches the route: without a
			// token an agent route answers 401, never the fallback's 404 or 405.
			method, path, _ := strings.Cut(key, " ")
			path = strings.NewReplacer("{slug}", "acme", "{number}", "1", "{id}", "1", "{email}", "a@b.example").Replace(path)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			if documented[key] != api.Public && rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %d, want 401", method, path, rec.Code)
			}
			if rec.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s %s: not routed", method, path)
			}
		}
	})
}
