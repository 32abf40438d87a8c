package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

type contactsData struct {
	Q          string
	Contacts   []tickets.ContactSummary
	Next       string
	ContactURL func(string) string
}

// contacts is the contact list, with search and keyset pages.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request, c *call) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	cs, next, err := s.store.Contacts(r.Context(), c.prop, q, tickets.DefaultContactsLimit, r.URL.Query().Get("after"))
	if isInvalid(err) { // a stale cursor: the first page
		cs, next, err = s.store.Contacts(r.Context(), c.prop, q, tickets.DefaultContactsLimit, "")
	}
	if err != nil {
		return err
	}
	d := contactsData{Q: q, Contacts: cs, ContactURL: func(e string) string { return c.base() + "/contacts/" + url.PathEscape(e) }}
	if next != "" {
		d.Next = c.base() + "/contacts?" + url.Values{"q": {q}, "after": {next}}.Encode()
	}
	p := s.newPage(r, c, "contacts")
	p.Title = p.T("contacts_title")
	p.Data = d
	s.render(w, r, http.StatusOK, p)
	return nil
}

func pathEmail(r *http.Request) (string, error) {
	e := strings.ToLower(strings.TrimSpace(r.PathValue("email")))
	if !tickets.ValidEmail(e) {
		return "", &tickets.ParamError{Field: "email", Msg: "not an email address"}
	}
	return e, nil
}

// contact is a contact's page: their state and their whole history.
func (s *Server) contact(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := pathEmail(r)
	if err != nil {
		return err
	}
	h, err := s.store.ContactHistory(r.Context(), c.prop, e)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "contact")
	p.Title = h.Contact.Email
	p.Data = h
	p.Notice = s.takeFlash(w, r)
	s.render(w, r, http.StatusOK, p)
	return nil
}

// block blocks a sender after a confirmation: every message of theirs is deleted for good.
func (s *Server) block(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := pathEmail(r)
	if err != nil {
		return err
	}
	if !c.can("manager") {
		s.errorPage(w, r, c, http.StatusForbidden, "err_role", "manager")
		return nil
	}
	back := safeNext(r.PostFormValue("back"))
	if back == "" {
		back = c.base() + "/contacts/" + url.PathEscape(e)
	}
	if r.PostFormValue("confirm") != "1" {
		p := s.newPage(r, c, "confirm")
		p.Title = p.T("confirm_title")
		p.Data = confirmData{Action: c.base() + "/contacts/" + url.PathEscape(e) + "/block", Message: p.T("confirm_block", e), Back: back}
		s.render(w, r, http.StatusOK, p)
		return nil
	}
	if r.PostFormValue("unblock") == "1" {
		if err := s.store.Unblock(r.Context(), c.prop, e, tickets.AgentActor(c.agent)); err != nil {
			return err
		}
		s.flash(w, r, "notice_unblocked", e)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	res, err := s.store.Block(r.Context(), c.prop, s.cfg.Domain, e, tickets.AgentActor(c.agent))
	if err != nil {
		return err
	}
	s.flash(w, r, "notice_blocked", e, res.Messages, res.Tickets)
	http.Redirect(w, r, c.base()+"/", http.StatusSeeOther)
	return nil
}

// tags lists the property's tags, for the tag field's completion (fetched when it is used, so
// the ticket page does not wait for it).
func (s *Server) tags(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := s.store.PropertyTags(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []string{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=60")
	return json.NewEncoder(w).Encode(ts)
}
