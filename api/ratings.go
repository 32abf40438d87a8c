package api

import (
	"net/http"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// ratings: the property's customers' ratings counted, since a time (since=, RFC 3339 or a date;
// none: all of them).
func (s *Server) ratings(w http.ResponseWriter, r *http.Request, c *call) error {
	var since time.Time
	for k, v := range r.URL.Query() {
		if k != "since" {
			return invalid(k, "unknown parameter %q: only since", k)
		}
		if v[0] == "" {
			continue
		}
		t, err := tickets.ParseInstant(v[0])
		if err != nil {
			return invalid("since", "since %q: a time as 2006-01-02T15:04:05Z (RFC 3339) or a date as 2006-01-02", v[0])
		}
		since = t
	}
	sum, err := s.store.RatingSummary(r.Context(), c.prop.ID, since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}
