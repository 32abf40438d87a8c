package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// The admin pages of a property: its settings, agents, departments and mailboxes, over the same
// store calls and with the same rules as the API (tickets.PropertySettings, MayGrant,
// MayChange). Each page is allowed the role its API routes are: admin, and owner to remove the
// property.

// adminSection is a page of the Admin menu. A page joins the menu by adding itself here; the
// layout shows the menu to an agent whose role opens at least one section.
type adminSection struct {
	Path  string // under /p/{slug}/admin/
	Title string // its text key
	Role  string // the weakest role that may open it
}

var adminSections = []adminSection{
	{"property", "admin_property", "admin"},
	{"agents", "admin_agents", "admin"},
	{"departments", "admin_departments", "admin"},
	{"mailboxes", "admin_mailboxes", "admin"},
}

// AdminSections are the sections of the Admin menu the agent's role opens.
func (p *page) AdminSections() []adminSection {
	if p.Call == nil {
		return nil
	}
	var out []adminSection
	for _, s := range adminSections {
		if p.Call.can(s.Role) {
			out = append(out, s)
		}
	}
	return out
}

// adminRoutes adds the admin pages.
func (s *Server) adminRoutes(p string) {
	m := s.mux
	a := p + "/admin"
	m.HandleFunc("GET "+a+"/{$}", s.member(s.adminHome))
	m.HandleFunc("GET "+a, s.member(s.adminHome))
	m.HandleFunc("GET "+a+"/property", s.member(s.role("admin", s.propertyPage)))
	m.HandleFunc("POST "+a+"/property", s.member(s.role("admin", s.saveProperty)))
	m.HandleFunc("POST "+a+"/property/remove", s.member(s.role("owner", s.removeProperty)))
	m.HandleFunc("GET "+a+"/agents", s.member(s.role("admin", s.agentsPage)))
	m.HandleFunc("POST "+a+"/agents", s.member(s.role("admin", s.addAgent)))
	m.HandleFunc("POST "+a+"/agents/role", s.member(s.role("admin", s.setRole)))
	m.HandleFunc("POST "+a+"/agents/remove", s.member(s.role("admin", s.removeAgent)))
	m.HandleFunc("GET "+a+"/departments", s.member(s.role("admin", s.departmentsPage)))
	m.HandleFunc("POST "+a+"/departments", s.member(s.role("admin", s.addDepartment)))
	m.HandleFunc("POST "+a+"/departments/rename", s.member(s.role("admin", s.renameDepartment)))
	m.HandleFunc("POST "+a+"/departments/remove", s.member(s.role("admin", s.removeDepartment)))
	m.HandleFunc("POST "+a+"/departments/members", s.member(s.role("admin", s.addMember)))
	m.HandleFunc("POST "+a+"/departments/members/remove", s.member(s.role("admin", s.removeMember)))
	m.HandleFunc("GET "+a+"/mailboxes", s.member(s.role("admin", s.mailboxesPage)))
	m.HandleFunc("POST "+a+"/mailboxes", s.member(s.role("admin", s.addMailbox)))
	m.HandleFunc("POST "+a+"/mailboxes/{id}/{change}", s.member(s.role("admin", s.changeMailbox)))
	m.HandleFunc("POST "+a+"/mailboxes/connect", s.member(s.role("admin", s.connect)))
	m.HandleFunc("GET "+oauthCallback, s.oauthCallback)
}

// role lets only agents of at least min through (403 for the others, with a page saying why).
func (s *Server) role(min string, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if !c.can(min) {
			s.errorPage(w, r, c, http.StatusForbidden, "err_role", min)
			return nil
		}
		return h(w, r, c)
	}
}

// adminHome opens the first section the agent's role opens.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, c *call) error {
	for _, a := range adminSections {
		if c.can(a.Role) {
			http.Redirect(w, r, c.base()+"/admin/"+a.Path, http.StatusSeeOther)
			return nil
		}
	}
	s.errorPage(w, r, c, http.StatusForbidden, "err_role", "admin")
	return nil
}

// adminPage starts an admin page: its title, its section and the notice of the last change.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, c *call, name string) *page {
	p := s.newPage(r, c, name)
	p.Title = p.T(name)
	p.Notice = s.takeFlash(w, r)
	return p
}

// changed flashes a notice and goes back to an admin page (a POST answers with a redirect, so a
// reload does not post again).
func (s *Server) changed(w http.ResponseWriter, r *http.Request, c *call, section, key string, args ...any) error {
	s.flash(w, r, key, args...)
	http.Redirect(w, r, c.base()+"/admin/"+section, http.StatusSeeOther)
	return nil
}

type propertyData struct {
	Locales []string
	Hours   string // the reopen window, in hours (1.5: 90 minutes)
}

func (s *Server) propertyPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.adminPage(w, r, c, "admin_property")
	p.Data = propertyData{Locales: s.locales(), Hours: strconv.FormatFloat(c.prop.ReopenWindow.Hours(), 'f', -1, 64)}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// locales are the languages the property's mails may be written in: the server's templates', or
// the built-in ones (as the API falls back to them).
func (s *Server) locales() []string {
	if s.cfg.Locales != nil {
		return s.cfg.Locales.Locales()
	}
	return templates.Locales()
}

// saveProperty changes the settings of the form (every field is sent: a checkbox unticked is
// off), checked as the API's PATCH checks them.
func (s *Server) saveProperty(w http.ResponseWriter, r *http.Request, c *call) error {
	name, from, locale := r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("from_address")), r.PostFormValue("locale")
	hours, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("reopen_hours")), 64)
	if err != nil || hours < 0 || hours > 24*365*10 {
		return &tickets.ParamError{Field: "reopen_hours", Msg: "the reopen window is a number of hours, not negative"}
	}
	secs := int64(math.Round(hours * 3600))
	ack, closeMail := r.PostFormValue("acknowledge") == "1", r.PostFormValue("close_mail") == "1"
	ps := tickets.PropertySettings{Name: &name, FromAddress: &from, ReopenWindowSecs: &secs, Acknowledge: &ack, CloseMail: &closeMail}
	if locale != "" {
		ps.Locale = &locale
	}
	check := templates.CheckLocale
	if s.cfg.Locales != nil {
		check = s.cfg.Locales.CheckLocale
	}
	if err := s.store.ChangeSettings(r.Context(), c.prop.ID, ps, check); err != nil {
		return err
	}
	return s.changed(w, r, c, "property", "notice_saved")
}

// removeProperty deletes the property and everything it holds, after a confirmation that names
// what goes and asks for the property's slug, typed (the API's ?confirm=SLUG). Owners only.
func (s *Server) removeProperty(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.PostFormValue("confirm") != "1" || !strings.EqualFold(strings.TrimSpace(r.PostFormValue("typed")), c.prop.Slug) {
		n, err := s.store.PropertyContents(r.Context(), c.prop.ID)
		if err != nil {
			return err
		}
		p := s.newPage(r, c, "confirm")
		p.Title = p.T("confirm_title")
		if r.PostFormValue("confirm") == "1" {
			p.Error = p.T("err_type_slug", c.prop.Slug)
		}
		p.Data = confirmData{Action: c.base() + "/admin/property/remove", Back: c.base() + "/admin/property", Type: c.prop.Slug,
			Message: p.T("confirm_remove_property", c.prop.Name, n.Tickets, n.Messages, n.Contacts, n.Departments, n.Mailboxes, n.UnsentMail)}
		status := http.StatusOK
		if p.Error != "" {
			status = http.StatusUnprocessableEntity
		}
		s.render(w, r, status, p)
		return nil
	}
	n, err := s.store.RemoveProperty(r.Context(), c.prop)
	if err != nil {
		return err
	}
	// The removal ends the sessions of its agents, the owner's too (their memberships changed):
	// a notice carried by a redirect would be lost on the way to the sign-in page, so the result
	// is this page, signed out.
	p := s.newPage(r, nil, "removed")
	p.Title = p.T("property_removed_title")
	p.Notice = p.T("notice_property_removed", c.prop.Slug, n.Tickets)
	s.render(w, r, http.StatusOK, p)
	return nil
}
