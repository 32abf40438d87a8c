package tickets

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// NewProperty is what it takes to create a property.
type NewProperty struct {
	Slug         string
	Name         string
	FromAddress  string
	ReopenWindow time.Duration // 0: the default of 72 h
	Locale       string        // "" : en
}

// ValidEmail reports whether e is a plain addr-spec.
func ValidEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == strings.TrimSpace(e) && strings.Contains(e, "@")
}

// CreateProperty adds a property. The slug is the local part of its forwarding address, so it is
// restricted to lowercase letters, digits and inner hyphens (no '+', which starts a reply token).
func (s *Store) CreateProperty(ctx context.Context, np NewProperty) (Property, error) {
	np.Slug = strings.ToLower(strings.TrimSpace(np.Slug))
	if !slugRE.MatchString(np.Slug) {
		return Property{}, fmt.Errorf("tickets: %w: slug %q: use 1–40 lowercase letters, digits and inner hyphens", ErrInvalid, np.Slug)
	}
	np.Name = strings.TrimSpace(np.Name)
	if np.Name == "" || strings.ContainsAny(np.Name, "\r\n") {
		return Property{}, fmt.Errorf("tickets: %w: property name must be one non-empty line", ErrInvalid)
	}
	np.FromAddress = normEmail(np.FromAddress)
	if np.FromAddress != "" && !ValidEmail(np.FromAddress) {
		return Property{}, fmt.Errorf("tickets: %w: from address %q is not an email address", ErrInvalid, np.FromAddress)
	}
	if np.ReopenWindow == 0 {
		np.ReopenWindow = 72 * time.Hour
	}
	if np.ReopenWindow < 0 {
		return Property{}, fmt.Errorf("tickets: %w: reopen window must not be negative", ErrInvalid)
	}
	if np.Locale == "" {
		np.Locale = "en"
	}
	now := s.Now()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO properties (slug, name, from_address, reopen_window_secs, locale, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		np.Slug, np.Name, np.FromAddress, int64(np.ReopenWindow/time.Second), np.Locale, now)
	if db.IsUniqueViolation(err) {
		return Property{}, fmt.Errorf("tickets: property %q: %w", np.Slug, ErrExists)
	}
	if err != nil {
		return Property{}, fmt.Errorf("tickets: create property: %w", err)
	}
	return s.PropertyBySlug(ctx, np.Slug)
}

const propertyCols = `id, slug, name, from_address, reopen_window_secs, locale, acknowledge, created_at`

func (p *Property) fill() *Property {
	p.ReopenWindow = time.Duration(p.ReopenSecs) * time.Second
	return p
}

// PropertyBySlug finds a property.
func (s *Store) PropertyBySlug(ctx context.Context, slug string) (Property, error) {
	var p Property
	err := s.db.GetContext(ctx, &p, s.q(`SELECT `+propertyCols+` FROM properties WHERE slug = ?`), strings.ToLower(strings.TrimSpace(slug)))
	if db.IsNoRows(err) {
		return Property{}, fmt.Errorf("tickets: property %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return Property{}, fmt.Errorf("tickets: property %q: %w", slug, err)
	}
	return *p.fill(), nil
}

// PropertyByID finds a property by its ID.
func (s *Store) PropertyByID(ctx context.Context, id int64) (Property, error) {
	var p Property
	err := s.db.GetContext(ctx, &p, s.q(`SELECT `+propertyCols+` FROM properties WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return Property{}, fmt.Errorf("tickets: property %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Property{}, fmt.Errorf("tickets: property %d: %w", id, err)
	}
	return *p.fill(), nil
}

// PropertiesByFromAddress finds the properties whose own address is addr.
func (s *Store) PropertiesByFromAddress(ctx context.Context, addr string) ([]Property, error) {
	var ps []Property
	if err := s.db.SelectContext(ctx, &ps, s.q(`SELECT `+propertyCols+` FROM properties WHERE from_address = ? ORDER BY id`), normEmail(addr)); err != nil {
		return nil, fmt.Errorf("tickets: properties by address: %w", err)
	}
	for i := range ps {
		ps[i].fill()
	}
	return ps, nil
}

// Properties lists every property.
func (s *Store) Properties(ctx context.Context) ([]Property, error) {
	var ps []Property
	if err := s.db.SelectContext(ctx, &ps, `SELECT `+propertyCols+` FROM properties ORDER BY slug`); err != nil {
		return nil, fmt.Errorf("tickets: list properties: %w", err)
	}
	for i := range ps {
		ps[i].fill()
	}
	return ps, nil
}

// AddAgent adds an agent to a property with a role (default support). An agent known from another
// property keeps one identity, and its name: one property's admin cannot rename another's
// agent. Adding an agent twice to a property updates its role (and its name, when it is in no
// other property).
func (s *Store) AddAgent(ctx context.Context, propertyID int64, email, name, role string) (Agent, error) {
	email = normEmail(email)
	if !ValidEmail(email) {
		return Agent{}, fmt.Errorf("tickets: %w: agent email %q is not an email address", ErrInvalid, email)
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "\r\n") {
		return Agent{}, fmt.Errorf("tickets: %w: agent name must be one non-empty line", ErrInvalid)
	}
	if role == "" {
		role = "support"
	}
	if !slices.Contains(Roles, role) {
		return Agent{}, fmt.Errorf("tickets: %w: role %q: one of %s", ErrInvalid, role, strings.Join(Roles, ", "))
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := s.db.Get(ctx, tx, &id, `INSERT INTO agents (email, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET name = CASE
				WHEN EXISTS (SELECT 1 FROM property_agents x WHERE x.agent_id = agents.id AND x.property_id <> ?) THEN agents.name
				ELSE excluded.name END
			RETURNING id`, email, name, s.Now(), propertyID)
		if err != nil {
			return fmt.Errorf("tickets: add agent: %w", err)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO property_agents (property_id, agent_id, role) VALUES (?, ?, ?)
			ON CONFLICT (property_id, agent_id) DO UPDATE SET role = excluded.role`), propertyID, id, role)
		if err != nil {
			return fmt.Errorf("tickets: add agent to property: %w", err)
		}
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	return s.AgentByEmail(ctx, propertyID, email)
}

const agentCols = `a.id, a.email, a.name, pa.role, a.created_at`

// AgentByEmail finds an agent of a property.
func (s *Store) AgentByEmail(ctx context.Context, propertyID int64, email string) (Agent, error) {
	var a Agent
	err := s.db.GetContext(ctx, &a, s.q(`SELECT `+agentCols+` FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
		WHERE pa.property_id = ? AND a.email = ?`), propertyID, normEmail(email))
	if db.IsNoRows(err) {
		return Agent{}, fmt.Errorf("tickets: agent %q: %w", email, ErrNotFound)
	}
	if err != nil {
		return Agent{}, fmt.Errorf("tickets: agent %q: %w", email, err)
	}
	return a, nil
}

// Agents lists a property's agents.
func (s *Store) Agents(ctx context.Context, propertyID int64) ([]Agent, error) {
	var as []Agent
	err := s.db.SelectContext(ctx, &as, s.q(`SELECT `+agentCols+` FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
		WHERE pa.property_id = ? ORDER BY a.email`), propertyID)
	if err != nil {
		return nil, fmt.Errorf("tickets: list agents: %w", err)
	}
	return as, nil
}

// AddDepartment creates a department (names are unique per property, case-insensitively) with the
// given members, who must be agents of the property. Adding an existing department adds members.
func (s *Store) AddDepartment(ctx context.Context, propertyID int64, name string, members []string) (Department, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "\r\n") {
		return Department{}, fmt.Errorf("tickets: %w: department name must be one non-empty line", ErrInvalid)
	}
	var agentIDs []int64
	for _, m := range members {
		a, err := s.AgentByEmail(ctx, propertyID, m)
		if errors.Is(err, ErrNotFound) {
			return Department{}, fmt.Errorf("tickets: %w: member %q is not an agent of this property (add it with 'agent add' first)", ErrInvalid, m)
		}
		if err != nil {
			return Department{}, err
		}
		agentIDs = append(agentIDs, a.ID)
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := s.db.Get(ctx, tx, &id, `INSERT INTO departments (property_id, name, name_key, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (property_id, name_key) DO UPDATE SET name = departments.name RETURNING id`, propertyID, name, strings.ToLower(name), s.Now())
		if err != nil {
			return fmt.Errorf("tickets: add department: %w", err)
		}
		for _, a := range agentIDs {
			if err := s.db.Exec(ctx, tx, `INSERT INTO department_members (department_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, a); err != nil {
				return fmt.Errorf("tickets: add department member: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Department{}, err
	}
	return s.DepartmentByName(ctx, propertyID, name)
}

// DepartmentByName finds a department of a property, case-insensitively, with its members.
func (s *Store) DepartmentByName(ctx context.Context, propertyID int64, name string) (Department, error) {
	var d Department
	err := s.db.GetContext(ctx, &d, s.q(`SELECT id, property_id, name FROM departments WHERE property_id = ? AND name_key = ?`),
		propertyID, strings.ToLower(strings.TrimSpace(name)))
	if db.IsNoRows(err) {
		return Department{}, fmt.Errorf("tickets: department %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Department{}, fmt.Errorf("tickets: department %q: %w", name, err)
	}
	d.Members = []string{}
	err = s.db.SelectContext(ctx, &d.Members, s.q(`SELECT a.email FROM department_members m JOIN agents a ON a.id = m.agent_id
		WHERE m.department_id = ? ORDER BY a.email`), d.ID)
	if err != nil {
		return Department{}, fmt.Errorf("tickets: department members: %w", err)
	}
	return d, nil
}

// Departments lists a property's departments, by name, with their members.
func (s *Store) Departments(ctx context.Context, propertyID int64) ([]Department, error) {
	ds := []Department{}
	if err := s.db.SelectContext(ctx, &ds, s.q(`SELECT id, property_id, name FROM departments WHERE property_id = ? ORDER BY name_key`), propertyID); err != nil {
		return nil, fmt.Errorf("tickets: list departments: %w", err)
	}
	var members []struct {
		DepartmentID int64  `db:"department_id"`
		Email        string `db:"email"`
	}
	if err := s.db.SelectContext(ctx, &members, s.q(`SELECT m.department_id, a.email FROM department_members m
		JOIN departments d ON d.id = m.department_id JOIN agents a ON a.id = m.agent_id
		WHERE d.property_id = ? ORDER BY a.email`), propertyID); err != nil {
		return nil, fmt.Errorf("tickets: list department members: %w", err)
	}
	idx := map[int64]int{}
	for i := range ds {
		idx[ds[i].ID] = i
		ds[i].Members = []string{}
	}
	for _, m := range members {
		if i, ok := idx[m.DepartmentID]; ok {
			ds[i].Members = append(ds[i].Members, m.Email)
		}
	}
	return ds, nil
}
