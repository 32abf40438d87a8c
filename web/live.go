package web

import (
	"fmt"
	"net/http"
	"time"
)

// events streams the property's changes as Server-Sent Events: "change" with the ticket's number
// and what changed. The feed comes from the database, so a change made through another
// instance, the CLI or mail intake arrives too. A comment every 25 s (Config.Ping) keeps proxies from
// closing the stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.cfg.Feed == nil {
		s.errorPage(w, r, c, http.StatusNotFound, "err_not_found")
		return nil
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's write timeout
	changes, cancel := s.cfg.Feed.Subscribe(c.prop.ID)
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	opened := time.Now()
	ping := time.NewTicker(s.cfg.Ping)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case <-ping.C:
			// The stream lives only as long as the session and the membership it was opened
			// with: signed out, removed from the property, or its role changed, it ends (and
			// the browser's reconnect meets the sign-in). After an hour it ends anyway.
			if !s.stillMember(r, c) || time.Since(opened) > time.Hour {
				return nil
			}
			fmt.Fprint(w, ": ping\n\n")
		case ch, ok := <-changes:
			if !ok {
				return nil
			}
			fmt.Fprintf(w, "event: change\ndata: {\"ticket\":%d,\"kind\":%q}\n\n", ch.Ticket, ch.Kind)
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

// stillMember tells whether the request's session still holds the call's membership, with the
// same role.
func (s *Server) stillMember(r *http.Request, c *call) bool {
	sess, ok, err := s.session(r)
	if err != nil || !ok || sess.AgentID != c.agent.ID {
		return false
	}
	for _, m := range sess.Memberships {
		if m.PropertyID == c.prop.ID && m.Role == c.role {
			return true
		}
	}
	return false
}

// Close ends the open event streams, so a server shutting down is not held by them.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}
