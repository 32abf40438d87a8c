package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/tickets"
)

// upload is an attachment sent with a reply, a note or a new ticket.
type upload struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"` // standard base64
}

const (
	maxText        = tickets.MaxText
	maxAttachments = tickets.MaxAttachments
)

// messageLimit is the largest body of a message with attachments: base64 makes 4 bytes of 3.
func (s *Server) messageLimit() int64 {
	return maxJSONBody + maxText + (s.cfg.MaxUpload+2)/3*4 + maxAttachments*1024
}

// outgoing checks an agent's message: its text and attachments, and the saved reply it starts
// with, if any (then the text may be empty).
func (s *Server) outgoing(text string, ups []upload, savedReply string) (tickets.Outgoing, error) {
	if strings.TrimSpace(text) == "" && strings.TrimSpace(savedReply) == "" {
		return tickets.Outgoing{}, invalid("text", "the text is empty")
	}
	if len(text) > maxText {
		return tickets.Outgoing{}, apiErr(http.StatusRequestEntityTooLarge, codeTooLarge, "text", "the text is longer than %d bytes", maxText)
	}
	if len(ups) > maxAttachments {
		return tickets.Outgoing{}, invalid("attachments", "at most %d attachments", maxAttachments)
	}
	out := tickets.Outgoing{Text: strings.ToValidUTF8(text, "\uFFFD"), SavedReply: savedReply}
	var total int64
	for i, u := range ups {
		field := fmt.Sprintf("attachments[%d]", i)
		data, err := base64.StdEncoding.DecodeString(u.Data)
		if err != nil {
			return tickets.Outgoing{}, invalid(field+".data", "%s.data is not standard base64", field)
		}
		if total += int64(len(data)); total > s.cfg.MaxUpload {
			return tickets.Outgoing{}, apiErr(http.StatusRequestEntityTooLarge, codeTooLarge, "attachments", "the attachments add up to more than %d bytes", s.cfg.MaxUpload)
		}
		a, err := tickets.AttachmentOf(field, u.Filename, u.ContentType, data)
		if err != nil {
			return tickets.Outgoing{}, err
		}
		out.Attachments = append(out.Attachments, a)
	}
	return out, nil
}

type messageBody struct {
	Text        string   `json:"text"`
	Attachments []upload `json:"attachments"`
	// SavedReply names a saved reply: its text, filled in, comes first, then text (which may then
	// be empty).
	SavedReply string `json:"saved_reply"`
}

// post stores a reply or a note: 201 with the ticket and the Message-ID the mail carries.
func (s *Server) post(w http.ResponseWriter, r *http.Request, c *call,
	do func(context.Context, tickets.Property, int64, tickets.Agent, tickets.Outgoing, string) (tickets.Ticket, error)) error {
	n, err := number(r)
	if err != nil {
		return err
	}
	var b messageBody
	if err := decode(w, r, &b, s.messageLimit()); err != nil {
		return err
	}
	out, err := s.outgoing(b.Text, b.Attachments, b.SavedReply)
	if err != nil {
		return err
	}
	id := tickets.NewMessageID(s.cfg.Domain)
	t, err := do(r.Context(), c.prop, n, c.agent, out, id)
	var unknown *tickets.UnknownSavedReply
	if errors.As(err, &unknown) {
		return withField(err, "saved_reply")
	}
	if err != nil {
		return withField(err, "text")
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": t, "message_id": id})
	return nil
}

// attachment serves a file as a download, never rendered in the API's origin.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := positive(r, "id")
	if err != nil {
		return err
	}
	a, err := s.store.AttachmentInfo(r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	httpsafe.FileHeaders(w, a.Filename, a.ContentType, a.Size, false, fmt.Sprintf("attachment-%d", a.ID))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	// The bytes follow in pieces (tickets.WriteAttachment), never all in memory. Past the headers
	// an error cannot be a response: the connection is dropped, so the client sees a download cut
	// short (fewer bytes than Content-Length), never a file that looks whole.
	n, err := s.store.WriteAttachment(r.Context(), c.prop.ID, a.ID, w)
	if err == nil && n != a.Size {
		err = fmt.Errorf("api: attachment %d: wrote %d bytes, not the %d announced", a.ID, n, a.Size)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "api: attachment download cut short", slog.Int64("attachment", a.ID), slog.Any("err", err))
		panic(http.ErrAbortHandler)
	}
	return nil
}

// messageHTML serves a message's HTML body sanitised (httpsafe: bluemonday's UGC policy, a CSP sandbox).
func (s *Server) messageHTML(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := positive(r, "id")
	if err != nil {
		return err
	}
	html, err := s.store.MessageHTML(r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	if strings.TrimSpace(html) == "" {
		return apiErr(http.StatusNotFound, codeNotFound, "", "message %d has no HTML body", id)
	}
	httpsafe.WriteHTML(w, html)
	return nil
}
