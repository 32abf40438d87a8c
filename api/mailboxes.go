package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/postdesk/postdesk/mailbox"
)

// Mailboxes is what the API needs of the IMAP mailboxes (mailbox.Store): listing them, pausing,
// resuming and removing one of a property. Adding one stays the CLI's: it takes a password.
type Mailboxes interface {
	List(ctx context.Context, propertyID int64) ([]mailbox.Mailbox, error)
	Pause(ctx context.Context, propertyID, id int64) error
	Resume(ctx context.Context, propertyID, id int64) error
	Remove(ctx context.Context, propertyID, id int64) error
}

// mailboxJSON is a mailbox as the API shows it: never its password.
type mailboxJSON struct {
	ID         int64      `json:"id"`
	Host       string     `json:"host"`
	Port       int        `json:"port"`
	TLS        string     `json:"tls"`
	Username   string     `json:"username"`
	Folder     string     `json:"folder"`
	After      string     `json:"after"`
	Paused     bool       `json:"paused"`
	Imported   int64      `json:"imported"`
	Backlog    *int64     `json:"backlog"`
	LastPollAt *time.Time `json:"last_poll_at"`
	LastError  string     `json:"last_error"`
}

func (s *Server) mailboxes() (Mailboxes, error) {
	if s.cfg.Mailboxes == nil {
		return nil, apiErr(http.StatusServiceUnavailable, codeUnavailable, "", "this server has no IMAP mailboxes configured")
	}
	return s.cfg.Mailboxes, nil
}

func (s *Server) listMailboxes(w http.ResponseWriter, r *http.Request, c *call) error {
	boxes, err := s.mailboxes()
	if err != nil {
		return err
	}
	ms, err := boxes.List(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	out := []mailboxJSON{}
	for _, m := range ms {
		out = append(out, mailboxJSON{ID: m.ID, Host: m.Host, Port: m.Port, TLS: m.TLS, Username: m.Username, Folder: m.Folder,
			After: m.AfterAction, Paused: m.Paused, Imported: m.Imported, Backlog: m.Backlog, LastPollAt: m.LastPollAt, LastError: m.LastError})
	}
	writeJSON(w, http.StatusOK, map[string]any{"mailboxes": out})
	return nil
}

// changeMailbox pauses, resumes or removes the mailbox of the path (another property's is 404).
func (s *Server) changeMailbox(change func(Mailboxes) func(context.Context, int64, int64) error) func(http.ResponseWriter, *http.Request, *call) error {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		id, err := positive(r, "id")
		if err != nil {
			return err
		}
		if err := decodeEmpty(w, r); err != nil {
			return err
		}
		boxes, err := s.mailboxes()
		if err != nil {
			return err
		}
		if err := change(boxes)(r.Context(), c.prop.ID, id); errors.Is(err, mailbox.ErrNotFound) {
			return apiErr(http.StatusNotFound, codeNotFound, "id", "no mailbox %d", id)
		} else if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
