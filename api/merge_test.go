package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// A support agent merges one ticket into another; the merged number redirects, actions on it say
// where it went, and what a merge refuses is 422 or 404.
func TestMergeByTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		a := e.customer(e.acme, "ann@work.example", "Kettle", "It leaks.")
		b := e.customer(e.acme, "ann@home.example", "Kettle again", "Still leaking, from home.")
		other := e.customer(e.beta, "ann@home.example", "Elsewhere", "body")
		merge := func(into int64) string { return fmt.Sprintf("/tickets/%d/merge", into) }

		e.as("support", "POST", merge(a), map[string]any{}).want(t, 400, "from")
		e.as("support", "POST", merge(a), map[string]any{"from": a}).want(t, 422, "from")
		e.as("support", "POST", merge(a), map[string]any{"from": 99}).want(t, 404, "")
		e.do("POST", fmt.Sprintf("/api/v1/properties/beta/tickets/%d/merge", other), e.token["beta"], map[string]any{"from": b}).want(t, 404, "")

		tk := e.as("support", "POST", merge(a), map[string]any{"from": b}).want(t, 200, "").ticket(t)
		if tk.Number != a || tk.Customer != "ann@work.example" {
			t.Fatalf("merged into: %+v", tk)
		}
		e.as("support", "POST", merge(a), map[string]any{"from": b}).want(t, 422, "from")

		// A read of the merged number: 301 to the ticket merged into, saying so.
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/properties/acme/tickets/%d?full=1", e.srv.URL, b), nil)
		req.Header.Set("Authorization", "Bearer "+e.token["support"])
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := fmt.Sprintf("/api/v1/properties/acme/tickets/%d?full=1", a); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != want {
			t.Fatalf("read of the merged ticket: %d, Location %q; want 301 to %s: %s", res.StatusCode, res.Header.Get("Location"), want, body)
		}
		var moved struct {
			Error struct {
				Message    string `json:"message"`
				MergedInto int64  `json:"merged_into"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &moved); err != nil || moved.Error.MergedInto != a || !strings.Contains(moved.Error.Message, "merged into") {
			t.Fatalf("301 body: %s (%v)", body, err)
		}
		// A client that follows redirects lands on the ticket, with both customers' messages.
		var det struct {
			Number   int64 `json:"number"`
			Messages []struct {
				From string `json:"from"`
			} `json:"messages"`
			Participants []string `json:"participants"`
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d", b), nil).want(t, 200, "").decode(t, &det)
		if det.Number != a || len(det.Messages) != 2 || det.Messages[1].From != "ann@home.example" {
			t.Fatalf("followed: %+v", det)
		}
		r := e.as("support", "POST", fmt.Sprintf("/tickets/%d/close", b), nil).want(t, 404, "")
		var gone struct {
			Error struct {
				MergedInto int64 `json:"merged_into"`
			} `json:"error"`
		}
		r.decode(t, &gone)
		if gone.Error.MergedInto != a {
			t.Errorf("close of the merged ticket: %s, want merged_into %d", r.body, a)
		}
		var all listJSON
		e.as("support", "GET", "/tickets?view=all", nil).want(t, 200, "").decode(t, &all)
		if got := all.numbers(); len(got) != 1 || got[0] != a {
			t.Errorf("the list shows %v, want only #%d", got, a)
		}
		var kinds []string
		for _, ev := range e.events(t, a) {
			kinds = append(kinds, ev.Kind+" "+ev.Actor)
		}
		if !strings.Contains(strings.Join(kinds, ","), "merged agent:support@acme.example") {
			t.Errorf("events of the merged-into ticket %v: no merge by the support agent", kinds)
		}
	})
}
