package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/postdesk/postdesk/tickets"
)

// mergeBody names the ticket merged into the one of the path.
type mergeBody struct {
	From int64 `json:"from"`
}

// merge merges ticket "from" into the ticket of the path (tickets.Store.Merge): a support agent
// may, as they may close.
func (s *Server) merge(w http.ResponseWriter, r *http.Request, c *call) error {
	var b mergeBody
	return s.ticketOp(w, r, &b, func(n int64) (tickets.Ticket, error) {
		if b.From <= 0 {
			return tickets.Ticket{}, invalid("from", "from: the number of the ticket to merge into #%d", n)
		}
		t, err := s.store.Merge(r.Context(), c.prop, n, b.From, c.actor())
		return t, withField(err, "from")
	})
}

// redirectMerged answers a read of a merged ticket's number with a redirect to the ticket it was
// merged into, and the error saying so (with merged_into); false when err is not that.
func (s *Server) redirectMerged(w http.ResponseWriter, r *http.Request, c *call, err error) bool {
	var me *tickets.MergedError
	if !errors.As(err, &me) {
		return false
	}
	e := toError(err)
	e.Status = http.StatusMovedPermanently
	loc := fmt.Sprintf("/api/v1/properties/%s/tickets/%d", c.prop.Slug, me.Into)
	if q := r.URL.RawQuery; q != "" {
		loc += "?" + q
	}
	w.Header().Set("Location", loc)
	writeJSON(w, e.Status, map[string]*Error{"error": e})
	return true
}
