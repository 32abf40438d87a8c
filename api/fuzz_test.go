package api

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// encodeQuery is the query string of q, as a page linking to a list would write it: the inverse
// of parseQuery on what parseQuery returns.
func encodeQuery(q tickets.Query) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("view", q.View)
	set("status", q.Status)
	set("assignee", q.Assignee)
	set("department", q.Department)
	v["tag"] = q.Tags
	v["priority"] = q.Priorities
	for k, t := range map[string]*time.Time{"created_from": q.CreatedFrom, "created_to": q.CreatedTo, "updated_from": q.UpdatedFrom, "updated_to": q.UpdatedTo} {
		if t != nil {
			set(k, t.Format(time.RFC3339Nano))
		}
	}
	if q.MinMessages != 0 {
		set("min_messages", strconv.Itoa(q.MinMessages))
	}
	set("contact", q.Contact)
	set("rating", q.Rating)
	set("q", q.Text)
	set("sort", q.Sort)
	if q.Asc {
		set("order", "asc")
	}
	set("after", q.After)
	if q.Limit != 0 {
		set("limit", strconv.Itoa(q.Limit))
	}
	for k, vs := range v {
		if len(vs) == 0 {
			delete(v, k)
		}
	}
	return v
}

// sameQuery compares two queries, their times as instants.
func sameQuery(a, b tickets.Query) bool {
	sameTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if !sameTime(a.CreatedFrom, b.CreatedFrom) || !sameTime(a.CreatedTo, b.CreatedTo) ||
		!sameTime(a.UpdatedFrom, b.UpdatedFrom) || !sameTime(a.UpdatedTo, b.UpdatedTo) {
		return false
	}
	a.CreatedFrom, a.CreatedTo, a.UpdatedFrom, a.UpdatedTo = nil, nil, nil, nil
	b.CreatedFrom, b.CreatedTo, b.UpdatedFrom, b.UpdatedTo = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// The list's query string: a bad one is a 400 naming the parameter at fault; a good one is a
// query within the store's bounds, and written back as a query string it reads the same.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"", "view=trash", "view=spam", "view=unassigned", "view=snoozed", "status=open", "status=all",
		"priority=urgent,high", "priority=low&priority=Normal", "contact=ann@example.org", "contact=ANN@Example.org",
		"sort=created&order=asc&limit=2", "sort=priority&order=desc&after=eyJzIjoidXBkYXRlZCJ9",
		"assignee=me", "assignee=unassigned", "assignee=bob@acme.example", "department=Billing",
		"tag=vip,printer&tag=%20Refund%20", "created_from=2026-01-02&created_to=2026-03-01T10:00:00%2B01:00",
		"updated_from=2026-01-02T03:04:05.123456789Z", "min_messages=+007", "q=printer+on+fire", "q=?!", "rating=good", "rating=NONE", "rating=great",
		// The table tests' refusals.
		"view=everything", "status=pending", "priority=critical", "created_from=yesterday", "updated_to=2026-13-01",
		"min_messages=-1", "limit=0", "limit=201", "sort=size", "order=up", "assignee=nobody", "contact=ann",
		"colour=red", "view=all&view=mine", "department=%00", "tag=%00", "q=%ff", "tag=a%20b",
	} {
		f.Add(s)
	}
	const viewer = "alice@acme.example"
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // as r.URL.Query(): what parses is used, the rest dropped
		q, err := parseQuery(v, viewer)
		if err != nil {
			// Nothing is required: every refusal is of a parameter given, and names it.
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != codeInvalid {
				t.Fatalf("%q: error %#v, want a 400 invalid", raw, err)
			}
			if _, given := v[e.Field]; !given {
				t.Fatalf("%q: error %#v names no parameter given", raw, err)
			}
			return
		}
		switch {
		case q.View != "" && !slices.Contains(tickets.Views, q.View):
			t.Fatalf("%q: view %q", raw, q.View)
		case q.Status != "" && q.Status != tickets.StatusOpen && q.Status != tickets.StatusClosed:
			t.Fatalf("%q: status %q", raw, q.Status)
		case q.Sort != "" && !slices.Contains(tickets.Sorts, q.Sort):
			t.Fatalf("%q: sort %q", raw, q.Sort)
		case q.Limit < 0 || q.Limit > tickets.MaxLimit || q.MinMessages < 0:
			t.Fatalf("%q: limit %d, min_messages %d", raw, q.Limit, q.MinMessages)
		case len(q.Text) > tickets.MaxSearchText:
			t.Fatalf("%q: %d bytes of text", raw, len(q.Text))
		case q.Contact != strings.ToLower(q.Contact) || (q.Contact != "" && !tickets.ValidEmail(q.Contact)):
			t.Fatalf("%q: contact %q", raw, q.Contact)
		case v.Get("assignee") == "me" && q.Assignee != viewer:
			t.Fatalf("%q: assignee me is %q", raw, q.Assignee)
		}
		for _, tag := range q.Tags {
			if tag == "" || len(tag) > 64 || tag != strings.ToLower(tag) || strings.ContainsAny(tag, " \t\r\n,") {
				t.Fatalf("%q: tag %q", raw, tag)
			}
		}
		for _, p := range q.Priorities {
			if !slices.Contains(tickets.Priorities, p) {
				t.Fatalf("%q: priority %q", raw, p)
			}
		}
		// A parsed query is in its canonical form: written back, it reads the same.
		again := encodeQuery(q).Encode()
		v2, err := url.ParseQuery(again)
		if err != nil {
			t.Fatalf("%q: re-encoded as %q, which does not parse: %v", raw, again, err)
		}
		q2, err := parseQuery(v2, viewer)
		if err != nil {
			t.Fatalf("%q: re-encoded as %q, refused: %v", raw, again, err)
		}
		if !sameQuery(q, q2) {
			t.Fatalf("%q: parsed as %+v; re-encoded as %q, parsed as %+v", raw, q, again, q2)
		}
	})
}
