package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// merge merges ticket n into the ticket whose number the agent typed ("into"), after a
// confirmation naming both (tickets.Store.Merge); then shows the ticket merged into.
func (s *Server) merge(w http.ResponseWriter, r *http.Request, c *call, n int64) error {
	into, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("into")), "#"), 10, 64)
	if err != nil || into <= 0 {
		return &tickets.ParamError{Field: "into", Msg: "give the number of the ticket to merge this one into"}
	}
	here := fmt.Sprintf("%s/t/%d", c.base(), n)
	if r.PostFormValue("confirm") != "1" {
		from, err := s.store.Ticket(r.Context(), c.prop.ID, n)
		if err != nil {
			return err
		}
		to, err := s.store.Ticket(r.Context(), c.prop.ID, into)
		if err != nil {
			return err
		}
		pg := s.newPage(r, c, "confirm")
		pg.Title = pg.T("confirm_title")
		pg.Data = confirmData{Action: here + "/act", Message: pg.T("confirm_merge", from.Number, from.Subject, to.Number, to.Subject, from.Number, to.Number),
			Back: here, Fields: map[string]string{"action": "merge", "into": strconv.FormatInt(into, 10)}}
		s.render(w, r, http.StatusOK, pg)
		return nil
	}
	if _, err := s.store.Merge(r.Context(), c.prop, into, n, tickets.AgentActor(c.agent)); err != nil {
		return err
	}
	s.flash(w, r, "notice_merged", n)
	http.Redirect(w, r, fmt.Sprintf("%s/t/%d", c.base(), into), http.StatusSeeOther)
	return nil
}

// redirectMerged sends a page of a merged ticket's number to the ticket it was merged into,
// saying so; false when err is not that.
func (s *Server) redirectMerged(w http.ResponseWriter, r *http.Request, c *call, err error) bool {
	var me *tickets.MergedError
	if !errors.As(err, &me) {
		return false
	}
	s.flash(w, r, "notice_merged_redirect", me.Number, me.Into)
	http.Redirect(w, r, fmt.Sprintf("%s/t/%d", c.base(), me.Into), http.StatusMovedPermanently)
	return true
}
