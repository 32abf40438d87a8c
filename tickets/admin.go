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
	"github.com/postdesk/postdesk/threading"
)

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// NewProperty is what it takes to create a property.
type NewProperty struct {
	Slug         string
	Name         string
	FromAddress  string
	ReopenWindow time.Duration // 0: threading.DefaultReopenWindow
	Locale       string        // "" : en; the caller checks it is a locale of its templates (templates.CheckLocale)
	// IgnoreListMail: see Property.IgnoreListMail.
	IgnoreListMail bool
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
		np.ReopenWindow = threading.DefaultReopenWindow
	}
	if np.ReopenWindow < 0 {
		return Property{}, fmt.Errorf("tickets: %w: reopen window must not be negative", ErrInvalid)
	}
	if np.Locale = strings.TrimSpace(np.Locale); np.Locale == "" {
		np.Locale = "en"
	}
	now := s.Now()
	err := s.db.Exec(ctx, nil, s.qs.PropertyInsert,
		np.Slug, np.Name, np.FromAddress, int64(np.ReopenWindow/time.Second), np.Locale, np.IgnoreListMail, now)
	if db.IsUniqueViolation(err) {
		return Property{}, fmt.Errorf("tickets: property %q: %w", np.Slug, ErrExists)
	}
	if err != nil {
		return Property{}, fmt.Errorf("tickets: create property: %w", err)
	}
	return s.PropertyBySlug(ctx, np.Slug)
}

// SetIgnoreListMail turns Property.IgnoreListMail on or off.
func (s *Store) SetIgnoreListMail(ctx context.Context, propertyID int64, ignore bool) error {
	if err := s.db.Exec(ctx, nil, s.qs.PropertySetIgnoreListMail, ignore, propertyID); err != nil {
		return fmt.Errorf("tickets: set ignore list mail: %w", err)
	}
	return nil
}

// SetAcknowledge turns the acknowledgement of a customer's new ticket on or off.
func (s *Store) SetAcknowledge(ctx context.Context, propertyID int64, on bool) error {
	if err := s.db.Exec(ctx, nil, s.qs.PropertySetAcknowledge, on, propertyID); err != nil {
		return fmt.Errorf("tickets: set acknowledge: %w", err)
	}
	return nil
}

// DefaultAttachLimit is a new property's AttachLimit: 10 MB of files in all.
const DefaultAttachLimit = 10_000_000

// SetAttachLimit sets Property.AttachLimit, in bytes (0: the agents' copies always link the files).
func (s *Store) SetAttachLimit(ctx context.Context, propertyID, limit int64) error {
	if limit < 0 {
		return fmt.Errorf("tickets: %w: attach limit %d is negative", ErrInvalid, limit)
	}
	if err := s.db.Exec(ctx, nil, s.qs.PropertySetAttachLimit, limit, propertyID); err != nil {
		return fmt.Errorf("tickets: set attach limit: %w", err)
	}
	return nil
}

// SetLocale sets the language of the property's mails. The caller checks that its templates know
// locale (templates.CheckLocale); the store only refuses an empty or multi-line one.
func (s *Store) SetLocale(ctx context.Context, propertyID int64, locale string) error {
	locale = strings.TrimSpace(locale)
	if locale == "" || len(locale) > 35 || strings.ContainsAny(locale, " \t\r\n") {
		return fmt.Errorf("tickets: %w: locale %q", ErrInvalid, locale)
	}
	if err := s.db.Exec(ctx, nil, s.qs.PropertySetLocale, locale, propertyID); err != nil {
		return fmt.Errorf("tickets: set locale: %w", err)
	}
	return nil
}

func (p *Property) fill() *Property {
	p.ReopenWindow = time.Duration(p.ReopenSecs) * time.Second
	return p
}

// PropertyBySlug finds a property.
func (s *Store) PropertyBySlug(ctx context.Context, slug string) (Property, error) {
	var p Property
	err := s.db.Get(ctx, nil, &p, s.qs.PropertyBySlug, strings.ToLower(strings.TrimSpace(slug)))
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
	err := s.db.Get(ctx, nil, &p, s.qs.PropertyByID, id)
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
	if err := s.db.Select(ctx, nil, &ps, s.qs.PropertiesByFromAddress, normEmail(addr)); err != nil {
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
	if err := s.db.Select(ctx, nil, &ps, s.qs.PropertiesAll); err != nil {
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
		err := s.db.Get(ctx, tx, &id, s.qs.AgentUpsert, email, name, s.Now(), propertyID)
		if err != nil {
			return fmt.Errorf("tickets: add agent: %w", err)
		}
		err = s.db.Exec(ctx, tx, s.qs.AgentSetRole, propertyID, id, role)
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

// AgentByEmail finds an agent of a property.
func (s *Store) AgentByEmail(ctx context.Context, propertyID int64, email string) (Agent, error) {
	var a Agent
	err := s.db.Get(ctx, nil, &a, s.qs.AgentByEmail, propertyID, normEmail(email))
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
	err := s.db.Select(ctx, nil, &as, s.qs.AgentsOfProperty, propertyID)
	if err != nil {
		return nil, fmt.Errorf("tickets: list agents: %w", err)
	}
	return as, nil
}

// AddDepartment creates a department (names are unique per property, case-insensitively; a new
// one's is one line without @, which tells an assignment to an agent from one to a department)
// with the given members, who must be agents of the property. Adding an existing department adds
// members, whatever its name (one made before names were checked may have an @).
func (s *Store) AddDepartment(ctx context.Context, propertyID int64, name string, members []string) (Department, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "\r\n") {
		return Department{}, fmt.Errorf("tickets: %w: department name must be one non-empty line", ErrInvalid)
	}
	_, err := s.DepartmentByName(ctx, propertyID, name)
	if errors.Is(err, ErrNotFound) {
		_, err = departmentName(name)
	}
	if err != nil {
		return Department{}, err
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
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := s.db.Get(ctx, tx, &id, s.qs.DepartmentUpsert, propertyID, name, strings.ToLower(name), s.Now())
		if err != nil {
			return fmt.Errorf("tickets: add department: %w", err)
		}
		for _, a := range agentIDs {
			if err := s.db.Exec(ctx, tx, s.qs.DepartmentMemberAdd, id, a); err != nil {
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
	err := s.db.Get(ctx, nil, &d, s.qs.DepartmentByName, propertyID, strings.ToLower(strings.TrimSpace(name)))
	if db.IsNoRows(err) {
		return Department{}, fmt.Errorf("tickets: department %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Department{}, fmt.Errorf("tickets: department %q: %w", name, err)
	}
	d.Members = []string{}
	err = s.db.Select(ctx, nil, &d.Members, s.qs.DepartmentMembers, d.ID)
	if err != nil {
		return Department{}, fmt.Errorf("tickets: department members: %w", err)
	}
	def, err := s.defaultDepartment(ctx, propertyID)
	d.Default = def == d.ID
	return d, err
}

// Departments lists a property's departments, by name, with their members.
func (s *Store) Departments(ctx context.Context, propertyID int64) ([]Department, error) {
	ds := []Department{}
	if err := s.db.Select(ctx, nil, &ds, s.qs.DepartmentsOfProperty, propertyID); err != nil {
		return nil, fmt.Errorf("tickets: list departments: %w", err)
	}
	var members []struct {
		DepartmentID int64  `db:"department_id"`
		Email        string `db:"email"`
	}
	if err := s.db.Select(ctx, nil, &members, s.qs.DepartmentMembersOfProperty, propertyID); err != nil {
		return nil, fmt.Errorf("tickets: list department members: %w", err)
	}
	def, err := s.defaultDepartment(ctx, propertyID)
	if err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for i := range ds {
		idx[ds[i].ID] = i
		ds[i].Members = []string{}
		ds[i].Default = ds[i].ID == def
	}
	for _, m := range members {
		if i, ok := idx[m.DepartmentID]; ok {
			ds[i].Members = append(ds[i].Members, m.Email)
		}
	}
	return ds, nil
}

// AgentProperties lists the properties the agent with this email works on, by slug.
func (s *Store) AgentProperties(ctx context.Context, email string) ([]Property, error) {
	var ps []Property
	if err := s.db.Select(ctx, nil, &ps, s.qs.PropertiesOfAgent, normEmail(email)); err != nil {
		return nil, fmt.Errorf("tickets: properties of %s: %w", email, err)
	}
	for i := range ps {
		ps[i].fill()
	}
	return ps, nil
}

// SetSignature sets the signature an agent's replies to the property's customers carry; "" goes
// back to the default (their name and the property's). At most 1000 bytes on 8 lines.
func (s *Store) SetSignature(ctx context.Context, propertyID int64, email, signature string) error {
	sig := strings.TrimSpace(strings.ReplaceAll(strings.ToValidUTF8(signature, ""), "\r\n", "\n"))
	if len(sig) > 1000 || strings.Count(sig, "\n") >= 8 {
		return fmt.Errorf("tickets: %w: a signature is at most 1000 bytes on 8 lines", ErrInvalid)
	}
	var arg any
	if sig != "" {
		arg = sig
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(s.qs.AgentSetSignature), arg, propertyID, normEmail(email))
	if err != nil {
		return fmt.Errorf("tickets: set signature: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("tickets: agent %s: %w", email, ErrNotFound)
	}
	return nil
}
