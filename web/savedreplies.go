package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// Saved replies in the web inbox: the picker of the ticket page's reply box (the server renders
// the text: GET …/t/{number}/saved-replies/{name} for the script, POST …/t/{number}/saved-reply
// without it) and the page where managers and above add, change and remove them.

// savedRepliesData is the management page's.
type savedRepliesData struct {
	Replies      []tickets.SavedReply
	Locales      []string // the first is the property's
	Placeholders []string
	Form         tickets.SavedReply // the add form as posted, when it comes back with an error
	EditURL      func(string) string
}

func (s *Server) savedRepliesForm(r *http.Request, c *call, form tickets.SavedReply) (*page, error) {
	rs, err := s.store.SavedReplies(r.Context(), c.prop.ID)
	if err != nil {
		return nil, err
	}
	d := savedRepliesData{Replies: rs, Locales: tickets.SavedReplyLocaleChoices(c.prop), Placeholders: tickets.SavedReplyPlaceholders(), Form: form,
		EditURL: func(name string) string { return c.base() + "/saved-replies/" + url.PathEscape(name) }}
	if d.Form.Locale == "" {
		d.Form.Locale = d.Locales[0]
	}
	p := s.newPage(r, c, "savedreplies")
	p.Title = p.T("saved_replies_title")
	p.Data = d
	return p, nil
}

// managesSavedReplies refuses an agent below manager, with a page saying so.
func (s *Server) managesSavedReplies(w http.ResponseWriter, r *http.Request, c *call) bool {
	if c.can("manager") {
		return true
	}
	s.errorPage(w, r, c, http.StatusForbidden, "err_role", "manager")
	return false
}

func (s *Server) savedRepliesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.managesSavedReplies(w, r, c) {
		return nil
	}
	p, err := s.savedRepliesForm(r, c, tickets.SavedReply{})
	if err != nil {
		return err
	}
	p.Notice = s.takeFlash(w, r)
	s.render(w, r, http.StatusOK, p)
	return nil
}

// savedReplyLocale is the locale of a form, one of the page's choices.
func savedReplyLocale(c *call, locale string) (string, error) {
	if !slices.Contains(tickets.SavedReplyLocaleChoices(c.prop), locale) {
		return "", &tickets.ParamError{Field: "locale", Msg: fmt.Sprintf("locale %q: one of %s", locale, strings.Join(tickets.SavedReplyLocaleChoices(c.prop), ", "))}
	}
	return locale, nil
}

// addSavedReply adds a text; a refused one comes back in the form, with what is wrong.
func (s *Server) addSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.managesSavedReplies(w, r, c) {
		return nil
	}
	form := tickets.SavedReply{Name: strings.TrimSpace(r.PostFormValue("name")), Locale: r.PostFormValue("locale"), Body: r.PostFormValue("text")}
	locale, err := savedReplyLocale(c, form.Locale)
	if err == nil {
		form.Locale = locale
		_, err = s.store.AddSavedReply(r.Context(), c.prop, c.agent, form)
	}
	if isInvalid(err) || errors.Is(err, tickets.ErrExists) {
		p, perr := s.savedRepliesForm(r, c, form)
		if perr != nil {
			return perr
		}
		p.Error = storeMessage(err)
		s.render(w, r, http.StatusUnprocessableEntity, p)
		return nil
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "notice_saved_reply_added", strings.ToLower(form.Name))
	http.Redirect(w, r, c.base()+"/saved-replies", http.StatusSeeOther)
	return nil
}

// changeSavedReply saves or removes one text of a name (action save or remove).
func (s *Server) changeSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.managesSavedReplies(w, r, c) {
		return nil
	}
	name := r.PathValue("name")
	locale, err := savedReplyLocale(c, r.PostFormValue("locale"))
	if err != nil {
		return err
	}
	switch r.PostFormValue("action") {
	case "remove":
		if err := s.store.RemoveSavedReply(r.Context(), c.prop, name, locale); err != nil {
			return err
		}
		s.flash(w, r, "notice_saved_reply_removed", name, locale)
	default:
		_, err := s.store.UpdateSavedReply(r.Context(), c.prop, c.agent, tickets.SavedReply{Name: name, Locale: locale, Body: r.PostFormValue("text")})
		if isInvalid(err) {
			p, perr := s.savedRepliesForm(r, c, tickets.SavedReply{})
			if perr != nil {
				return perr
			}
			p.Error = storeMessage(err)
			s.render(w, r, http.StatusUnprocessableEntity, p)
			return nil
		}
		if err != nil {
			return err
		}
		s.flash(w, r, "notice_saved_reply_saved", name, locale)
	}
	http.Redirect(w, r, c.base()+"/saved-replies", http.StatusSeeOther)
	return nil
}

// renderedSavedReply is a saved reply's text for the ticket, filled in for it and the agent, as
// JSON for the reply box's script: {"name", "text"}.
func (s *Server) renderedSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := pathNumber(r)
	if err != nil {
		return err
	}
	t, err := s.store.Ticket(r.Context(), c.prop.ID, n)
	if err != nil {
		return err
	}
	text, err := s.store.RenderSavedReply(r.Context(), nil, c.prop, t.ID, c.agent, r.PathValue("name"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(map[string]string{"name": strings.ToLower(r.PathValue("name")), "text": text})
}

// insertSavedReply is the picker without the script: the ticket page again, the saved text added
// to what the reply box held (files chosen are not kept: choose them after).
func (s *Server) insertSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := pathNumber(r)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		if err := s.parseUpload(w, r); err != nil {
			return err
		}
	}
	d, err := s.ticketData(r, c, n, false)
	if err != nil {
		return err
	}
	text, err := s.store.RenderSavedReply(r.Context(), nil, c.prop, d.T.ID, c.agent, formValue(r, "insert"))
	if err != nil {
		return err
	}
	d.Draft = strings.TrimSpace(strings.TrimSpace(strings.ReplaceAll(formValue(r, "text"), "\r\n", "\n")) + "\n\n" + text)
	p := s.newPage(r, c, "ticket")
	p.Title = fmt.Sprintf("#%d %s", d.T.Number, d.T.Subject)
	p.Data = d
	s.render(w, r, http.StatusOK, p)
	return nil
}
