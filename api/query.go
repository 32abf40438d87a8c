package api

import (
	"net/url"
	"strconv"

	"github.com/postdesk/postdesk/tickets"
)

// parseQuery turns the list's query string into a tickets.Query (tickets.ParseQuery, strict: an
// unknown parameter is refused); viewer is the calling agent ("me" in assignee). Every bad value
// is a 400 naming its parameter.
func parseQuery(v url.Values, viewer string) (tickets.Query, error) {
	q, err := tickets.ParseQuery(v, viewer, true)
	if err != nil {
		return q, toError(err)
	}
	return q, nil
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
