package api

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// Ticket list parameters and their allowed values.
var (
	statuses   = []string{"open", "closed", "all"}
	listParams = []string{"view", "status", "assignee", "department", "tag", "priority", "created_from", "created_to",
		"updated_from", "updated_to", "min_messages", "contact", "q", "sort", "order", "after", "limit"}
)

// parseQuery turns the list's query string into a tickets.Query; viewer is the calling agent
// ("me" in assignee). Every bad value is a 400 naming its parameter.
func parseQuery(v url.Values, viewer string) (tickets.Query, error) {
	var q tickets.Query
	for k, vals := range v {
		if !slices.Contains(listParams, k) {
			return q, invalid(k, "unknown parameter %q: one of %s", k, strings.Join(listParams, ", "))
		}
		if len(vals) > 1 && k != "tag" && k != "priority" {
			return q, invalid(k, "give %s once", k)
		}
	}
	str := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	q.View = str("view")
	if q.View != "" && !slices.Contains(tickets.Views, q.View) {
		return q, invalid("view", "view %q: one of %s", q.View, strings.Join(tickets.Views, ", "))
	}
	q.Status = str("status")
	if q.Status != "" && !slices.Contains(statuses, q.Status) {
		return q, invalid("status", "status %q: one of %s", q.Status, strings.Join(statuses, ", "))
	}
	if q.Status == "all" {
		q.Status = ""
	}
	q.Assignee = str("assignee")
	switch {
	case q.Assignee == "me":
		q.Assignee = viewer
	case q.Assignee == "", q.Assignee == "assigned", q.Assignee == "unassigned":
	case !tickets.ValidEmail(q.Assignee):
		return q, invalid("assignee", "assignee %q: an agent's email, me, assigned or unassigned", q.Assignee)
	}
	q.Department = str("department")
	q.Tags = list(v["tag"])
	for _, t := range q.Tags {
		if len(t) > 64 || strings.ContainsAny(t, " \t\r\n") {
			return q, invalid("tag", "tag %q: one word of up to 64 characters", t)
		}
	}
	q.Priorities = list(v["priority"])
	for _, p := range q.Priorities {
		if !slices.Contains(tickets.Priorities, p) {
			return q, invalid("priority", "priority %q: one of %s", p, strings.Join(tickets.Priorities, ", "))
		}
	}
	for _, t := range []struct {
		key string
		dst **time.Time
	}{{"created_from", &q.CreatedFrom}, {"created_to", &q.CreatedTo}, {"updated_from", &q.UpdatedFrom}, {"updated_to", &q.UpdatedTo}} {
		s := str(t.key)
		if s == "" {
			continue
		}
		at, err := parseInstant(s)
		if err != nil {
			return q, invalid(t.key, "%s %q: a time as 2006-01-02T15:04:05Z (RFC 3339) or a date as 2006-01-02", t.key, s)
		}
		*t.dst = &at
	}
	if s := str("min_messages"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, invalid("min_messages", "min_messages %q: a whole number, 0 or more", s)
		}
		q.MinMessages = n
	}
	q.Contact = strings.ToLower(str("contact"))
	if q.Contact != "" && !tickets.ValidEmail(q.Contact) {
		return q, invalid("contact", "contact %q is not an email address", q.Contact)
	}
	q.Text = str("q")
	if len(q.Text) > tickets.MaxSearchText {
		return q, invalid("q", "q is longer than %d bytes", tickets.MaxSearchText)
	}
	q.Sort = str("sort")
	if q.Sort != "" && !slices.Contains(tickets.Sorts, q.Sort) {
		return q, invalid("sort", "sort %q: one of %s", q.Sort, strings.Join(tickets.Sorts, ", "))
	}
	switch order := str("order"); order {
	case "", "desc":
	case "asc":
		q.Asc = true
	default:
		return q, invalid("order", "order %q: asc or desc", order)
	}
	q.After = str("after")
	if s := str("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > tickets.MaxLimit {
			return q, invalid("limit", "limit %q: 1 to %d", s, tickets.MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// list reads a parameter given repeatedly or comma-separated, or both.
func list(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// parseInstant reads an RFC 3339 time, or a date (midnight UTC). An offset can carry the instant
// out of years 0000-9999 (9999-12-31T23:59:59-23:59): refused, because no RFC 3339 time names it
// and SQLite, comparing times as text, would take year 10000 for earlier than 2026.
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Parse(time.DateOnly, s)
	}
	if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("api: %q is out of years 0000 to 9999 in UTC", s)
	}
	return t, nil
}

// limitParam reads an optional limit of 1..max (0 when absent).
func limitParam(v url.Values, max int) (int, error) {
	s := v.Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, invalid("limit", "limit %q: 1 to %d", s, max)
	}
	return n, nil
}
