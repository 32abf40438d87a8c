package api

import (
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// The admin lifecycle: removing a property (owners), removing an agent, renaming and removing
// departments and their members (admins and owners). A property's slug never changes: it is
// the forwarding address its mail comes to.

// removeProperty deletes the property of the path and everything it holds. It asks for
// ?confirm=SLUG, the property's own slug: without it the answer (422) says what would go.
func (s *Server) removeProperty(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	if !strings.EqualFold(r.URL.Query().Get("confirm"), c.prop.Slug) {
		n, err := s.store.PropertyContents(r.Context(), c.prop.ID)
		if err != nil {
			return err
		}
		return apiErr(http.StatusUnprocessableEntity, codeInvalid, "confirm",
			"removing %s deletes its %d tickets, %d messages, %d contacts, %d departments, %d mailboxes and %d unsent mails for good: add ?confirm=%s",
			c.prop.Slug, n.Tickets, n.Messages, n.Contacts, n.Departments, n.Mailboxes, n.UnsentMail, c.prop.Slug)
	}
	n, err := s.store.RemoveProperty(r.Context(), c.prop)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": n})
	return nil
}

// removeAgent takes an agent off the property. As with addAgent, nobody removes an agent who
// ranks above them, nor themselves (tickets.MayChange); the last owner stays (422).
func (s *Server) removeAgent(w http.ResponseWriter, r *http.Request, c *call) error {
	email, err := emailParam(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	a, err := s.store.AgentByEmail(r.Context(), c.prop.ID, email)
	if err != nil {
		return err
	}
	if err := tickets.MayChange(c.agent, a); err != nil {
		return err
	}
	res, err := s.store.RemoveAgent(r.Context(), c.prop, email, c.actor())
	if err != nil {
		return withField(err, "email")
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// departmentParam reads the department's name of the path.
func departmentParam(r *http.Request) (string, error) {
	name := strings.TrimSpace(r.PathValue("name"))
	if name == "" {
		return "", invalid("name", "a department's name is required")
	}
	return name, nil
}

type renameBody struct {
	Name string `json:"name"`
}

// renameDepartment gives a department a new name (another department's is 409).
func (s *Server) renameDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	name, err := departmentParam(r)
	if err != nil {
		return err
	}
	var b renameBody
	if err := decode(w, r, &b, maxJSONBody); err != nil {
		return err
	}
	if strings.TrimSpace(b.Name) == "" {
		return invalid("name", "the new name is required")
	}
	d, err := s.store.RenameDepartment(r.Context(), c.prop.ID, name, b.Name)
	if err != nil {
		return withField(err, "name")
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// removeDepartment deletes a department; its tickets become unassigned.
func (s *Server) removeDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	name, err := departmentParam(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	n, err := s.store.RemoveDepartment(r.Context(), c.prop, name, c.actor())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"unassigned": n})
	return nil
}

// removeDepartmentMember takes an agent out of a department.
func (s *Server) removeDepartmentMember(w http.ResponseWriter, r *http.Request, c *call) error {
	name, err := departmentParam(r)
	if err != nil {
		return err
	}
	email, err := emailParam(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	d, err := s.store.RemoveDepartmentMember(r.Context(), c.prop.ID, name, email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
