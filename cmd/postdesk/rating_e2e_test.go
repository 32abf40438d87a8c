package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

var rateURL = regexp.MustCompile(`http://[0-9.:]+/rate/[0-9A-Za-z._-]+`)

// Ratings end to end, through serve on both engines: a ticket is closed, the close mail reaches
// the relay with three links; following one (as a mail scanner would, all three) records
// nothing; the page's button records it, and the API, the list's filter and the CLI show it.
func TestARatingFromTheCloseMailShowsInTheAPI(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d, base, token := newCloseDesk(t, e.DSN(t))
			must(t, d.dsn, "property", "set", "--slug", "acme", "--close-mail")
			// Closed through the API: serve links to its own address (a command needs web_url).
			if code, out := httpCall(t, "POST", base+"/tickets/1/close", token, nil, ""); code >= 300 {
				t.Fatalf("close: %d %s", code, out)
			}
			m := closeMailTo(t, d.newMail(1), "close")
			links := rateURL.FindAllString(readable(m), -1)
			if len(links) < 3 {
				t.Fatalf("%d rating links in the close mail:\n%s", len(links), readable(m))
			}
			good, okay := links[0], links[1]
			for _, l := range links[:3] {
				if code, page := httpCall(t, "GET", l, "", nil, ""); code != 200 || !strings.Contains(page, "Ticket #1: Printer on fire") {
					t.Fatalf("GET %s: %d\n%s", l, code, page)
				}
			}
			ticket := func() (rating *string, comment string) {
				t.Helper()
				code, out := httpCall(t, "GET", base+"/tickets/1", token, nil, "")
				var v struct {
					Rating       *string `json:"rating"`
					RatingDetail *struct {
						Comment string `json:"comment"`
					} `json:"rating_detail"`
				}
				if code != 200 || json.Unmarshal([]byte(out), &v) != nil {
					t.Fatalf("GET the ticket: %d %s", code, out)
				}
				if v.RatingDetail != nil {
					comment = v.RatingDetail.Comment
				}
				return v.Rating, comment
			}
			if r, _ := ticket(); r != nil {
				t.Fatalf("following the links rated the ticket %q", *r)
			}
			form := strings.NewReader(url.Values{"comment": {"Fixed in a day."}}.Encode())
			if code, page := httpCall(t, "POST", okay, "", form, "application/x-www-form-urlencoded"); code != 200 || !strings.Contains(page, "Your rating is recorded: Okay.") {
				t.Fatalf("POST: %d\n%s", code, page)
			}
			if r, c := ticket(); r == nil || *r != "okay" || c != "Fixed in a day." {
				t.Fatalf("after rating: %v %q", r, c)
			}
			// Changed within the week, from another link of the same mail.
			if code, _ := httpCall(t, "POST", good, "", strings.NewReader("comment=Fixed+in+a+day."), "application/x-www-form-urlencoded"); code != 200 {
				t.Fatalf("change: %d", code)
			}
			if r, _ := ticket(); r == nil || *r != "good" {
				t.Fatalf("after the change: %v", r)
			}
			code, out := httpCall(t, "GET", base+"/tickets?view=closed&rating=good", token, nil, "")
			if code != 200 || !strings.Contains(out, `"rating": "good"`) || !strings.Contains(out, `"number": 1,`) {
				t.Fatalf("the list's filter: %d %s", code, out)
			}
			if code, out := httpCall(t, "GET", base+"/ratings", token, nil, ""); code != 200 || !strings.Contains(out, `"good": 1,`) || !strings.Contains(out, `"total": 1,`) {
				t.Fatalf("the summary: %d %s", code, out)
			}
			if out := must(t, d.dsn, "tickets", "list", "--property", "acme", "--status", "all", "--rating", "good", "--json"); !strings.Contains(out, `"rating": "good"`) {
				t.Fatalf("tickets list --rating good: %s", out)
			}
			if out := must(t, d.dsn, "tickets", "list", "--property", "acme", "--status", "all", "--rating", "bad", "--json"); strings.TrimSpace(out) != "[]" {
				t.Fatalf("tickets list --rating bad: %s", out)
			}
			if out := must(t, d.dsn, "ratings", "--property", "acme"); !strings.Contains(out, "good 1 · okay 0 · bad 0 · 100% good") {
				t.Fatalf("postdesk ratings: %s", out)
			}
			if out := must(t, d.dsn, "tickets", "show", "--property", "acme", "1"); !strings.Contains(out, `rated good by ann@customer.example`) || !strings.Contains(out, `"Fixed in a day."`) {
				t.Fatalf("tickets show: %s", out)
			}
		})
	}
}
