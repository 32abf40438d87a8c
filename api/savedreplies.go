package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// A property's saved replies: named texts with {placeholders} (tickets/savedreplies.go). Every
// agent lists them and uses them (saved_reply on a reply); managers and above add, change and
// remove them (the roles are the routes').

func (s *Server) listSavedReplies(w http.ResponseWriter, r *http.Request, c *call) error {
	rs, err := s.store.SavedReplies(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	var placeholders []string
	for _, p := range templates.SavedReplyPlaceholders() {
		placeholders = append(placeholders, p[0])
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved_replies": rs, "locales": tickets.SavedReplyLocales(c.prop), "placeholders": placeholders})
	return nil
}

// getSavedReply answers a name's texts; with ?ticket=N, the text that ticket uses, filled in for
// it and the calling agent.
func (s *Server) getSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	if q := r.URL.Query().Get("ticket"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n <= 0 {
			return invalid("ticket", "ticket %q: a positive whole number", q)
		}
		t, err := s.store.Ticket(r.Context(), c.prop.ID, n)
		if err != nil {
			return err
		}
		text, err := s.store.RenderSavedReply(r.Context(), nil, c.prop, t.ID, c.agent, name)
		if err != nil {
			return withField(err, "name")
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": strings.ToLower(name), "ticket": n, "text": text})
		return nil
	}
	rs, err := s.store.SavedReplies(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	var mine []tickets.SavedReply
	for _, x := range rs {
		if x.Name == strings.ToLower(strings.TrimSpace(name)) {
			mine = append(mine, x)
		}
	}
	if len(mine) == 0 {
		return apiErr(http.StatusNotFound, codeNotFound, "", "no saved reply %q", name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved_replies": mine})
	return nil
}

type savedReplyBody struct {
	Name   string `json:"name"`
	Locale string `json:"locale"`
	Text   string `json:"text"`
}

// savedReplyLocale checks a locale given ("": the property's) against the templates.
func (s *Server) savedReplyLocale(locale string) error {
	if locale == "" {
		return nil
	}
	check := templates.CheckLocale
	if s.cfg.Templates != nil {
		check = s.cfg.Templates.CheckLocale
	}
	if err := check(locale); err != nil {
		return invalid("locale", "%s", strings.TrimPrefix(err.Error(), "templates: "))
	}
	return nil
}

func (s *Server) addSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	var b savedReplyBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if err := s.savedReplyLocale(b.Locale); err != nil {
		return err
	}
	sr, err := s.store.AddSavedReply(r.Context(), c.prop, c.agent, tickets.SavedReply{Name: b.Name, Locale: b.Locale, Body: b.Text})
	if err != nil {
		return withField(err, "name")
	}
	writeJSON(w, http.StatusCreated, map[string]any{"saved_reply": sr})
	return nil
}

// changeSavedReply replaces the text of the name in the path, in a locale ("": the property's).
func (s *Server) changeSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	var b savedReplyBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if b.Name != "" && !strings.EqualFold(strings.TrimSpace(b.Name), r.PathValue("name")) {
		return invalid("name", "the name is the path's: remove the saved reply and add it again to rename it")
	}
	if err := s.savedReplyLocale(b.Locale); err != nil {
		return err
	}
	sr, err := s.store.UpdateSavedReply(r.Context(), c.prop, c.agent, tickets.SavedReply{Name: r.PathValue("name"), Locale: b.Locale, Body: b.Text})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved_reply": sr})
	return nil
}

// removeSavedReply removes a name's text in ?locale=, or in every locale.
func (s *Server) removeSavedReply(w http.ResponseWriter, r *http.Request, c *call) error {
	locale := r.URL.Query().Get("locale")
	if err := s.savedReplyLocale(locale); err != nil {
		return err
	}
	if err := s.store.RemoveSavedReply(r.Context(), c.prop, r.PathValue("name"), locale); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
