package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// The property's own texts for its acknowledgement and close mails, per locale, for admins and
// owners: plain text with {placeholders} (templates/custom.go), never a Go template.

func (s *Server) listTexts(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := s.store.PropertyTexts(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	placeholders := map[string][]string{}
	for _, k := range templates.CustomKinds() {
		for _, p := range templates.Placeholders(k) {
			placeholders[k] = append(placeholders[k], p[0])
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"texts": ts, "placeholders": placeholders})
	return nil
}

type textBody struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// textPath is the kind and the locale of a text's path, checked: a kind whose text may be set, a
// locale postdesk has mail in.
func (s *Server) textPath(r *http.Request) (kind, locale string, err error) {
	kind, locale = r.PathValue("kind"), r.PathValue("locale")
	if !slices.Contains(templates.CustomKinds(), kind) {
		return "", "", invalid("kind", "kind %q: one of %s", kind, strings.Join(templates.CustomKinds(), ", "))
	}
	check := templates.CheckLocale
	if s.cfg.Templates != nil {
		check = s.cfg.Templates.CheckLocale
	}
	if err := check(locale); err != nil {
		return "", "", invalid("locale", "%s", strings.TrimPrefix(err.Error(), "templates: "))
	}
	return kind, templates.NormalizeLocale(locale), nil
}

// setText sets the property's text of a kind in a locale; a placeholder not known is refused, with
// the known ones.
func (s *Server) setText(w http.ResponseWriter, r *http.Request, c *call) error {
	kind, locale, err := s.textPath(r)
	if err != nil {
		return err
	}
	var b textBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	// The subject alone first, so that the error names the field at fault.
	for _, f := range []struct {
		field string
		text  templates.CustomText
	}{{"subject", templates.CustomText{Subject: b.Subject, Body: "-"}}, {"body", templates.CustomText{Subject: b.Subject, Body: b.Body}}} {
		if err := templates.CheckCustomText(kind, f.text); err != nil {
			return apiErr(http.StatusUnprocessableEntity, codeInvalid, f.field, "%s", strings.TrimPrefix(err.Error(), "templates: "))
		}
	}
	t := tickets.PropertyText{Kind: kind, Locale: locale, Subject: b.Subject, Body: b.Body}
	if err := s.store.SetPropertyText(r.Context(), c.prop.ID, t); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"text": t})
	return nil
}

// deleteText makes the mail of a kind in a locale the built-in one again.
func (s *Server) deleteText(w http.ResponseWriter, r *http.Request, c *call) error {
	kind, locale, err := s.textPath(r)
	if err != nil {
		return err
	}
	if err := s.store.DeletePropertyText(r.Context(), c.prop.ID, kind, locale); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
