package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// The property's people: agents and departments, for admins and owners.

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, c *call) error {
	as, err := s.store.Agents(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	if as == nil {
		as = []tickets.Agent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": as})
	return nil
}

type agentBody struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// addAgent adds an agent, or changes the name and role of one. Nobody grants a role above their
// own, or changes an agent who ranks above them: an admin cannot make an owner, nor demote one
// (tickets.MayGrant, MayChange: the web's agents page applies the same).
func (s *Server) addAgent(w http.ResponseWriter, r *http.Request, c *call) error {
	var b agentBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if b.Role == "" {
		b.Role = "support"
	}
	if rank(b.Role) < 0 {
		return invalid("role", "role %q: one of %s", b.Role, strings.Join(tickets.Roles, ", "))
	}
	if !tickets.ValidEmail(strings.TrimSpace(b.Email)) {
		return invalid("email", "email %q is not an email address", b.Email)
	}
	if strings.TrimSpace(b.Name) == "" {
		return invalid("name", "a name is required")
	}
	if err := tickets.MayGrant(c.agent, b.Email, b.Role); err != nil {
		return err
	}
	existing, err := s.store.AgentByEmail(r.Context(), c.prop.ID, b.Email)
	status := http.StatusCreated
	switch {
	case err == nil:
		status = http.StatusOK
		if err := tickets.MayChange(c.agent, existing); err != nil {
			return err
		}
	case !errors.Is(err, tickets.ErrNotFound):
		return err
	}
	a, err := s.store.AddAgent(r.Context(), c.prop.ID, b.Email, b.Name, b.Role)
	if err != nil {
		return err
	}
	writeJSON(w, status, a)
	return nil
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request, c *call) error {
	ds, err := s.store.Departments(r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": ds})
	return nil
}

type departmentBody struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
	Default bool     `json:"default"` // told about unassigned tickets
}

// addDepartment creates a department, or adds members to one (by name, case-insensitively).
func (s *Server) addDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	var b departmentBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if strings.TrimSpace(b.Name) == "" {
		return invalid("name", "a name is required")
	}
	_, err := s.store.DepartmentByName(r.Context(), c.prop.ID, b.Name)
	status := http.StatusCreated
	switch {
	case err == nil:
		// An existing department takes members whatever its name (one named before names were
		// checked may have an @).
		status = http.StatusOK
	case !errors.Is(err, tickets.ErrNotFound):
		return err
	case strings.Contains(b.Name, "@"):
		return invalid("name", "a department's name has no @: assignments tell agents from departments by it")
	}
	slices.Sort(b.Members)
	d, err := s.store.AddDepartment(r.Context(), c.prop.ID, b.Name, slices.Compact(b.Members))
	if err != nil {
		return withField(err, "members")
	}
	if b.Default {
		if err := s.store.SetDefaultDepartment(r.Context(), c.prop.ID, d.ID); err != nil {
			return err
		}
	}
	writeJSON(w, status, d)
	return nil
}
