package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/tickets"
)

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("web: %q: %w", r.PathValue("id"), tickets.ErrNotFound)
	}
	return id, nil
}

// messageHTML serves a message's HTML sanitised, for the sandboxed frame of the ticket page: it
// can run nothing and load nothing from elsewhere.
func (s *Server) messageHTML(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	html, err := s.store.MessageHTML(r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	if strings.TrimSpace(html) == "" {
		return fmt.Errorf("web: message %d has no HTML: %w", id, tickets.ErrNotFound)
	}
	httpsafe.WriteHTML(w, html)
	return nil
}

// attachment serves a file as a download, or, with ?inline=1, a raster image as a picture (a
// thumbnail on the ticket page). The bytes are copied from the database in pieces, never held
// whole.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.store.AttachmentInfo(r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	inline := r.URL.Query().Get("inline") == "1" && httpsafe.InlineImage(a.ContentType)
	httpsafe.FileHeaders(w, a.Filename, a.ContentType, a.Size, inline, fmt.Sprintf("attachment-%d", a.ID))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := s.store.WriteAttachment(r.Context(), c.prop.ID, id, w); err != nil {
		// The headers are out: all that can be done is to cut the answer short, so the
		// browser sees an incomplete download rather than a wrong file.
		s.log.WarnContext(r.Context(), "web: attachment cut short", "id", id, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
