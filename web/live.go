package web

import (
	"fmt"
	"net/http"
	"time"
)

// events streams the property's changes as Server-Sent Events: "change" with the ticket's number
// and what changed. The feed comes from the database, so a change made through another
// instance, the CLI or mail intake arrives too. A comment every 25 s keeps proxies from closing
// the stream.
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
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case <-ping.C:
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

// Close ends the open event streams, so a server shutting down is not held by them.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}
