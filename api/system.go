package api

import (
	"net/http"
	"strconv"

	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// The property's settings and the mail kept outside its tickets, for admins and owners.

type propertyBody struct {
	Name             *string `json:"name"`
	FromAddress      *string `json:"from_address"` // "" : none
	ReopenWindowSecs *int64  `json:"reopen_window_secs"`
	IgnoreListMail   *bool   `json:"ignore_list_mail"`
	Locale           *string `json:"locale"` // the language of the property's mails: a locale of the templates
	Acknowledge      *bool   `json:"acknowledge"`
	CloseMail        *bool   `json:"close_mail"` // "your ticket was closed" to the customer
	// AttachLimit is the most bytes of a message's files attached to its agents' copies; above
	// it, links (0: always links).
	AttachLimit *int64 `json:"attach_limit"`
}

// setProperty changes the settings given, and returns the property as it is then. The checks
// and the changes are the store's (tickets.PropertySettings), as for the web's settings page.
func (s *Server) setProperty(w http.ResponseWriter, r *http.Request, c *call) error {
	var b propertyBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	ps := tickets.PropertySettings{Name: b.Name, FromAddress: b.FromAddress, ReopenWindowSecs: b.ReopenWindowSecs, IgnoreListMail: b.IgnoreListMail,
		Locale: b.Locale, Acknowledge: b.Acknowledge, CloseMail: b.CloseMail, AttachLimit: b.AttachLimit}
	if ps.Empty() {
		return invalid("ignore_list_mail", "nothing to change: the settings are name, from_address, reopen_window_secs, ignore_list_mail, locale, acknowledge, attach_limit and close_mail")
	}
	check := templates.CheckLocale
	if s.cfg.Templates != nil {
		check = s.cfg.Templates.CheckLocale
	}
	if err := s.store.ChangeSettings(r.Context(), c.prop.ID, ps, check); err != nil {
		return err
	}
	p, err := s.store.PropertyBySlug(r.Context(), c.prop.Slug)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"property": p})
	return nil
}

// listSystemMail lists the robot mail kept for the property that threaded into no ticket.
func (s *Server) listSystemMail(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalid("limit", "limit %q: 1 to 1000", v)
		}
		limit = n
	}
	ms, err := s.store.ListSystemMail(r.Context(), tickets.SystemMailFilter{PropertyID: c.prop.ID, Kind: tickets.SystemRobot, Class: q.Get("class"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"system_mail": ms})
	return nil
}

// systemMail is one kept mail with its text.
func (s *Server) systemMail(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := positive(r, "id")
	if err != nil {
		return err
	}
	m, err := s.store.SystemMailByID(r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// systemMailRaw is one kept mail's bytes as received, as a download (never rendered).
func (s *Server) systemMailRaw(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := positive(r, "id")
	if err != nil {
		return err
	}
	m, err := s.store.SystemMailByID(r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "message/rfc822")
	h.Set("Content-Length", strconv.Itoa(len(m.Raw)))
	h.Set("Content-Disposition", httpsafe.ContentDisposition("", "system-mail-"+strconv.FormatInt(m.ID, 10)+".eml"))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(m.Raw)
	return nil
}
