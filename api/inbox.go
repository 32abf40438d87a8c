package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/tickets"
)

func (s *Server) contacts(w http.ResponseWriter, r *http.Request, c *call) error {
	v := r.URL.Query()
	for k, vals := range v {
		if k != "q" && k != "after" && k != "limit" {
			return invalid(k, "unknown parameter %q: q, after or limit", k)
		}
		if len(vals) > 1 {
			return invalid(k, "give %s once", k)
		}
	}
	limit, err := limitParam(v, tickets.MaxContactsLimit)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = tickets.DefaultContactsLimit
	}
	cs, next, err := s.store.Contacts(r.Context(), c.prop, strings.TrimSpace(v.Get("q")), limit, v.Get("after"))
	if err != nil {
		return withField(err, "after")
	}
	if cs == nil {
		cs = []tickets.ContactSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": cs, "next": next})
	return nil
}

// emailParam reads the contact address of the path.
func emailParam(r *http.Request) (string, error) {
	e := strings.ToLower(strings.TrimSpace(r.PathValue("email")))
	if !tickets.ValidEmail(e) {
		return "", invalid("email", "%q is not an email address", r.PathValue("email"))
	}
	return e, nil
}

func (s *Server) contact(w http.ResponseWriter, r *http.Request, c *call) error {
	email, err := emailParam(r)
	if err != nil {
		return err
	}
	h, err := s.store.ContactHistory(r.Context(), c.prop, email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) block(w http.ResponseWriter, r *http.Request, c *call) error {
	email, err := emailParam(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	res, err := s.store.Block(r.Context(), c.prop, s.cfg.Domain, email, c.actor())
	if err != nil {
		return withField(err, "email")
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": email, "blocked": true, "removed": res})
	return nil
}

func (s *Server) unblock(w http.ResponseWriter, r *http.Request, c *call) error {
	email, err := emailParam(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	if err := s.store.Unblock(r.Context(), c.prop, email, c.actor()); err != nil {
		return withField(err, "email")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type exportBody struct {
	Numbers []int64 `json:"numbers"`
	MailTo  string  `json:"mail_to"`
}

// export answers with the tickets as a JSON download, or queues them as a mail attachment.
func (s *Server) export(w http.ResponseWriter, r *http.Request, c *call) error {
	var b exportBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if len(b.Numbers) == 0 || len(b.Numbers) > tickets.MaxExport {
		return invalid("numbers", "export 1 to at most %d tickets at a time, not %d", tickets.MaxExport, len(b.Numbers))
	}
	for _, n := range b.Numbers {
		if n <= 0 {
			return invalid("numbers", "%d is not a ticket number", n)
		}
	}
	b.MailTo = strings.ToLower(strings.TrimSpace(b.MailTo))
	if b.MailTo != "" && !tickets.ValidEmail(b.MailTo) {
		return invalid("mail_to", "mail_to %q is not an email address", b.MailTo)
	}
	if b.MailTo != "" {
		// Customer data goes only to the property's own agents, never to any address.
		if _, err := s.store.AgentByEmail(r.Context(), c.prop.ID, b.MailTo); errors.Is(err, tickets.ErrNotFound) {
			return invalid("mail_to", "mail_to %q is not an agent of this property: exports are mailed only to agents", b.MailTo)
		} else if err != nil {
			return err
		}
	}
	ex, err := s.store.Export(r.Context(), c.prop, b.Numbers)
	if err != nil {
		return withField(err, "numbers")
	}
	body, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return fmt.Errorf("api: export: %w", err)
	}
	now := s.store.Now()
	filename := fmt.Sprintf("%s-tickets-%s.json", c.prop.Slug, now.Format("20060102-150405"))
	if b.MailTo == "" {
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Disposition", httpsafe.ContentDisposition(filename, "export.json"))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return nil
	}
	if len(body) > maxMailedExport {
		// Base64 makes it a third larger again: most relays refuse mail that size.
		return apiErr(http.StatusRequestEntityTooLarge, codeTooLarge, "mail_to", "the export is %d MiB, too large to mail (at most %d MiB): download it instead", len(body)>>20, maxMailedExport>>20)
	}
	id, err := s.mailExport(r, c, b.MailTo, filename, len(ex.Tickets), body, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"queued": true, "mail_to": b.MailTo, "message_id": id, "tickets": len(ex.Tickets)})
	return nil
}

const maxMailedExport = tickets.MaxMailedExport

// mailExport queues a mail to to with the export attached (notify.QueueExport).
func (s *Server) mailExport(r *http.Request, c *call, to, filename string, count int, body []byte, now time.Time) (string, error) {
	id, err := notify.QueueExport(r.Context(), s.store.DB(), notify.Export{Property: c.prop, Domain: s.cfg.Domain, By: c.agent.Email,
		ByName: c.agent.Name, To: to, Filename: filename, Tickets: count, Body: body, Now: now, Templates: s.cfg.Templates})
	if err != nil {
		return "", err
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	s.log.InfoContext(r.Context(), "api: export mailed", "property", c.prop.Slug, "agent", c.agent.Email, "to", to, "tickets", count)
	return id, nil
}
