package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// The agents and departments pages: the API's rules (tickets.MayGrant, MayChange) over the
// store's calls.

type agentRow struct {
	tickets.Agent
	// Mine: the agent signed in may change them (not themselves, nobody above them).
	Mine bool
}

type agentsData struct {
	Agents []agentRow
	Roles  []string // the roles the agent signed in may grant
	Links  bool     // sign-in links can be mailed
}

func (s *Server) agentsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	as, err := s.store.Agents(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	d := agentsData{Links: s.cfg.Mail != nil}
	for _, a := range as {
		d.Agents = append(d.Agents, agentRow{Agent: a, Mine: tickets.MayChange(c.agent, a) == nil})
	}
	for _, role := range tickets.Roles {
		if c.can(role) {
			d.Roles = append(d.Roles, role)
		}
	}
	p := s.adminPage(w, r, c, "admin_agents")
	p.Data = d
	s.render(w, r, http.StatusOK, p)
	return nil
}

// addAgent adds an agent (or, for one already there, changes their name and role), as the API's
// POST /agents does, and mails them a sign-in link when asked.
func (s *Server) addAgent(w http.ResponseWriter, r *http.Request, c *call) error {
	email, name, role := strings.ToLower(strings.TrimSpace(r.PostFormValue("email"))), r.PostFormValue("name"), r.PostFormValue("role")
	if role == "" {
		role = "support"
	}
	if tickets.RoleRank(role) < 0 {
		return &tickets.ParamError{Field: "role", Msg: "role " + role + ": one of " + strings.Join(tickets.Roles, ", ")}
	}
	if !tickets.ValidEmail(email) {
		return &tickets.ParamError{Field: "email", Msg: "email " + email + " is not an email address"}
	}
	if err := tickets.MayGrant(c.agent, email, role); err != nil {
		return err
	}
	existing, err := s.store.AgentByEmail(r.Context(), c.prop.ID, email)
	switch {
	case err == nil:
		if err := tickets.MayChange(c.agent, existing); err != nil {
			return err
		}
	case !errors.Is(err, tickets.ErrNotFound):
		return err
	}
	a, err := s.store.AddAgent(r.Context(), c.prop.ID, email, name, role)
	if err != nil {
		return err
	}
	if r.PostFormValue("link") == "1" && s.cfg.Mail != nil {
		return s.sendLink(w, r, c, a)
	}
	return s.changed(w, r, c, "agents", "notice_agent_saved", a.Email, texts(c).T("role_"+a.Role))
}

// sendLink mails a new agent a one-time sign-in link, from the property, within the sign-in
// links' rate limits.
func (s *Server) sendLink(w http.ResponseWriter, r *http.Request, c *call, a tickets.Agent) error {
	token, email, name, err := s.cfg.Auth.NewLink(r.Context(), a.Email, client(r))
	var rl RateLimited
	if errors.As(err, &rl) {
		return s.changed(w, r, c, "agents", "notice_agent_saved_no_link", a.Email, minutes(rl.RetryAfter))
	}
	if err != nil {
		return err
	}
	link := strings.TrimRight(s.cfg.BaseURL, "/") + "/signin/link?token=" + url.QueryEscape(token)
	if err := s.cfg.Mail.SignInLink(r.Context(), c.prop, tickets.Address{Email: email, Name: name}, link, c.pref.lang); err != nil {
		return err
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	s.log.InfoContext(r.Context(), "web: sign-in link mailed to a new agent", slog.String("agent", a.Email), slog.String("by", c.agent.Email))
	return s.changed(w, r, c, "agents", "notice_agent_link", a.Email)
}

// setRole changes an agent's role: not their own, not of one above them, not to a role above
// the agent's own; the last owner stays one (tickets.ErrLastOwner).
func (s *Server) setRole(w http.ResponseWriter, r *http.Request, c *call) error {
	email, role := r.PostFormValue("email"), r.PostFormValue("role")
	if err := tickets.MayGrant(c.agent, email, role); err != nil {
		return err
	}
	a, err := s.store.AgentByEmail(r.Context(), c.prop.ID, email)
	if err != nil {
		return err
	}
	if err := tickets.MayChange(c.agent, a); err != nil {
		return err
	}
	if a, err = s.store.SetRole(r.Context(), c.prop, a.Email, role); err != nil {
		return err
	}
	return s.changed(w, r, c, "agents", "notice_agent_saved", a.Email, texts(c).T("role_"+a.Role))
}

// removeAgent takes an agent off the property after a confirmation: their tickets become
// unassigned, their tokens and sessions end, their messages keep their name.
func (s *Server) removeAgent(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.store.AgentByEmail(r.Context(), c.prop.ID, r.PostFormValue("email"))
	if err != nil {
		return err
	}
	if err := tickets.MayChange(c.agent, a); err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "1" {
		p := s.newPage(r, c, "confirm")
		p.Title = p.T("confirm_title")
		p.Data = confirmData{Action: c.base() + "/admin/agents/remove", Back: c.base() + "/admin/agents", Fields: map[string]string{"email": a.Email},
			Message: p.T("confirm_remove_agent", a.Name, a.Email, c.prop.Name), Yes: p.T("remove")}
		s.render(w, r, http.StatusOK, p)
		return nil
	}
	res, err := s.store.RemoveAgent(r.Context(), c.prop, a.Email, tickets.AgentActor(c.agent))
	if err != nil {
		return err
	}
	return s.changed(w, r, c, "agents", "notice_agent_removed", a.Email, res.Unassigned)
}

type departmentsData struct {
	Departments []tickets.Department
	Agents      []tickets.Agent
}

func (s *Server) departmentsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	ds, err := s.store.Departments(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	as, err := s.store.Agents(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	p := s.adminPage(w, r, c, "admin_departments")
	p.Data = departmentsData{Departments: ds, Agents: as}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// addDepartment creates a department (the API's POST /departments), the default one when asked.
func (s *Server) addDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.store.AddDepartment(r.Context(), c.prop.ID, r.PostFormValue("name"), nil)
	if err != nil {
		return err
	}
	if r.PostFormValue("default") == "1" {
		if err := s.store.SetDefaultDepartment(r.Context(), c.prop.ID, d.ID); err != nil {
			return err
		}
	}
	return s.changed(w, r, c, "departments", "notice_department_saved", d.Name)
}

func (s *Server) renameDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.store.RenameDepartment(r.Context(), c.prop.ID, r.PostFormValue("name"), r.PostFormValue("to"))
	if err != nil {
		return err
	}
	return s.changed(w, r, c, "departments", "notice_department_saved", d.Name)
}

// removeDepartment deletes a department after a confirmation; its tickets become unassigned.
func (s *Server) removeDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.store.DepartmentByName(r.Context(), c.prop.ID, r.PostFormValue("name"))
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "1" {
		p := s.newPage(r, c, "confirm")
		p.Title = p.T("confirm_title")
		p.Data = confirmData{Action: c.base() + "/admin/departments/remove", Back: c.base() + "/admin/departments", Fields: map[string]string{"name": d.Name},
			Message: p.T("confirm_remove_department", d.Name), Yes: p.T("remove")}
		s.render(w, r, http.StatusOK, p)
		return nil
	}
	n, err := s.store.RemoveDepartment(r.Context(), c.prop, d.Name, tickets.AgentActor(c.agent))
	if err != nil {
		return err
	}
	return s.changed(w, r, c, "departments", "notice_department_removed", d.Name, n)
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.store.DepartmentByName(r.Context(), c.prop.ID, r.PostFormValue("name"))
	if err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if slices.Contains(d.Members, strings.ToLower(email)) {
		return s.changed(w, r, c, "departments", "notice_department_saved", d.Name)
	}
	if d, err = s.store.AddDepartment(r.Context(), c.prop.ID, d.Name, []string{email}); err != nil {
		return err
	}
	return s.changed(w, r, c, "departments", "notice_department_saved", d.Name)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.store.RemoveDepartmentMember(r.Context(), c.prop.ID, r.PostFormValue("name"), r.PostFormValue("email"))
	if err != nil {
		return err
	}
	return s.changed(w, r, c, "departments", "notice_department_saved", d.Name)
}
