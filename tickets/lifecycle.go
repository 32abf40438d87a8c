package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// The admin lifecycle of a property and its people: editing a property and removing it with
// everything it holds, removing an agent or changing their role, renaming and removing
// departments and their members. A property's slug is not editable: it is the local part of its
// forwarding address, which the MTA and the customers' old mail point at, and of every reply
// token address already sent out.

// PropertyEdit is a change to a property's identity; nil fields stay as they are.
type PropertyEdit struct {
	Name         *string
	FromAddress  *string // "" : none (mail goes out from the forwarding address)
	ReopenWindow *time.Duration
}

// EditProperty changes what e gives, checked as CreateProperty checks it, in one transaction:
// a refused edit changes nothing. The own addresses of a property (rules.Addresses) are read
// from it at each delivery, so a new from address is the property's own from the next mail on.
func (s *Store) EditProperty(ctx context.Context, propertyID int64, e PropertyEdit) error {
	var name, from string
	if e.Name != nil {
		if name = strings.TrimSpace(*e.Name); name == "" || strings.ContainsAny(name, "\r\n") {
			return fmt.Errorf("tickets: %w: property name must be one non-empty line", ErrInvalid)
		}
	}
	if e.FromAddress != nil {
		if from = normEmail(*e.FromAddress); from != "" && !ValidEmail(from) {
			return fmt.Errorf("tickets: %w: from address %q is not an email address", ErrInvalid, from)
		}
	}
	if e.ReopenWindow != nil && *e.ReopenWindow < 0 {
		return fmt.Errorf("tickets: %w: reopen window must not be negative", ErrInvalid)
	}
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if e.Name != nil {
			if err := s.db.Exec(ctx, tx, s.qs.PropertySetName, name, propertyID); err != nil {
				return fmt.Errorf("tickets: set property name: %w", err)
			}
		}
		if e.FromAddress != nil {
			if err := s.db.Exec(ctx, tx, s.qs.PropertySetFromAddress, from, propertyID); err != nil {
				return fmt.Errorf("tickets: set from address: %w", err)
			}
		}
		if e.ReopenWindow != nil {
			if err := s.db.Exec(ctx, tx, s.qs.PropertySetReopenWindow, int64(*e.ReopenWindow/time.Second), propertyID); err != nil {
				return fmt.Errorf("tickets: set reopen window: %w", err)
			}
		}
		return nil
	})
}

// PropertyContents counts what removing a property removes.
type PropertyContents struct {
	Tickets     int64 `db:"tickets" json:"tickets"`
	Messages    int64 `db:"messages" json:"messages"`
	Contacts    int64 `db:"contacts" json:"contacts"`
	Agents      int64 `db:"agents" json:"agents"` // memberships: an agent of other properties stays theirs
	Departments int64 `db:"departments" json:"departments"`
	Mailboxes   int64 `db:"mailboxes" json:"mailboxes"`
	UnsentMail  int64 `db:"unsent_mail" json:"unsent_mail"` // queued in the outbox, dropped
	SystemMail  int64 `db:"system_mail" json:"system_mail"`
}

func (s *Store) propertyContents(ctx context.Context, tx *sqlx.Tx, propertyID int64) (PropertyContents, error) {
	var c PropertyContents
	if err := s.db.Get(ctx, tx, &c, s.qs.PropertyContents, slices.Repeat([]any{propertyID}, 8)...); err != nil {
		return c, fmt.Errorf("tickets: count the property's contents: %w", err)
	}
	return c, nil
}

// PropertyContents counts what the property holds, as RemoveProperty would remove it.
func (s *Store) PropertyContents(ctx context.Context, propertyID int64) (PropertyContents, error) {
	return s.propertyContents(ctx, nil, propertyID)
}

// RemoveProperty deletes a property and everything it holds, in one transaction: its tickets
// with their messages, attachments and events, contacts, departments, memberships, API tokens,
// mailboxes, DKIM keys, texts, system mail, and its outbox rows (mail not sent yet is never
// sent). Agents stay (they may work on other properties); one left on no property can no longer
// sign in, and their web sessions end at their next request (auth's membership fingerprint). It
// returns what it removed.
func (s *Store) RemoveProperty(ctx context.Context, p Property) (PropertyContents, error) {
	var c PropertyContents
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = s.propertyContents(ctx, tx, p.ID); err != nil {
			return err
		}
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.PropertyDelete, p.ID); err != nil {
			return fmt.Errorf("tickets: remove property %s: %w", p.Slug, err)
		}
		if len(ids) == 0 {
			return fmt.Errorf("tickets: property %q: %w", p.Slug, ErrNotFound)
		}
		if err := s.db.Exec(ctx, tx, s.qs.PropertyDeleteCounts, p.ID); err != nil {
			return fmt.Errorf("tickets: remove property %s: counts: %w", p.Slug, err)
		}
		if err := s.db.Exec(ctx, tx, s.qs.PropertyDeleteChanges, p.ID); err != nil {
			return fmt.Errorf("tickets: remove property %s: changes: %w", p.Slug, err)
		}
		return nil
	})
	if err != nil {
		return PropertyContents{}, err
	}
	s.log.Info("property removed", "property", p.Slug, "tickets", c.Tickets, "messages", c.Messages)
	return c, nil
}

// AgentRemoval says what removing an agent from a property changed.
type AgentRemoval struct {
	Unassigned int `json:"unassigned"` // their tickets, now unassigned
	Tokens     int `json:"tokens"`     // their API tokens on the property, revoked
}

// ErrLastOwner refuses to remove or demote a property's last owner: nobody could manage it after.
var ErrLastOwner = errors.New("the property's last owner cannot be removed or demoted")

// RemoveAgent takes an agent off a property: their tickets become unassigned (so new mail on
// them reaches the default department or every agent), they leave its departments, their API
// tokens on it are revoked, and their web sessions end at their next request (the membership
// fingerprint changed). Their messages stay, with their name: the agent row is kept. The last
// owner cannot be removed (ErrLastOwner, an ErrInvalid).
func (s *Store) RemoveAgent(ctx context.Context, p Property, email string, actor Actor) (AgentRemoval, error) {
	a, err := s.AgentByEmail(ctx, p.ID, email)
	if err != nil {
		return AgentRemoval{}, err
	}
	var r AgentRemoval
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		r = AgentRemoval{}
		if err := s.keepAnOwner(ctx, tx, p, a, ""); err != nil {
			return err
		}
		now := s.Now()
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.AgentTicketsUnassign, now, p.ID, a.ID); err != nil {
			return fmt.Errorf("tickets: remove agent: unassign: %w", err)
		}
		for _, id := range ids {
			if err := s.addEvent(ctx, tx, id, "unassigned", actor, a.Email+" was removed from the property", now); err != nil {
				return err
			}
		}
		r.Unassigned = len(ids)
		if err := s.db.Exec(ctx, tx, s.qs.AgentDepartmentsLeave, a.ID, p.ID); err != nil {
			return fmt.Errorf("tickets: remove agent: departments: %w", err)
		}
		var tokens []int64
		if err := s.db.Select(ctx, tx, &tokens, s.qs.TokensRevoke, p.ID, a.ID); err != nil {
			return fmt.Errorf("tickets: remove agent: tokens: %w", err)
		}
		r.Tokens = len(tokens)
		if err := s.db.Exec(ctx, tx, s.qs.AgentLeaveProperty, p.ID, a.ID); err != nil {
			return fmt.Errorf("tickets: remove agent: %w", err)
		}
		return nil
	})
	if err != nil {
		return AgentRemoval{}, err
	}
	s.log.Info("agent removed", "property", p.Slug, "agent", a.Email, "unassigned", r.Unassigned, "tokens", r.Tokens)
	return r, nil
}

// keepAnOwner refuses a change that leaves p without an owner: a removed agent (role "") or one
// given role who is the last owner. It locks the owners' rows (PostgreSQL) for the rest of tx, so
// that concurrent changes count the owners one after the other.
func (s *Store) keepAnOwner(ctx context.Context, tx *sqlx.Tx, p Property, a Agent, role string) error {
	if a.Role != "owner" || role == "owner" {
		return nil
	}
	var owners []int64
	if err := s.db.Select(ctx, tx, &owners, s.qs.PropertyOwners, p.ID); err != nil {
		return fmt.Errorf("tickets: count owners: %w", err)
	}
	// An agent no longer owner (changed meanwhile) takes no owner away.
	if len(owners) <= 1 && slices.Contains(owners, a.ID) {
		return fmt.Errorf("tickets: %w: %w: %s (make another agent owner first)", ErrInvalid, ErrLastOwner, a.Email)
	}
	return nil
}

// SetRole changes the role of an agent of the property (AddAgent adds one). The last owner keeps
// theirs (ErrLastOwner).
func (s *Store) SetRole(ctx context.Context, p Property, email, role string) (Agent, error) {
	if !slices.Contains(Roles, role) {
		return Agent{}, fmt.Errorf("tickets: %w: role %q: one of %s", ErrInvalid, role, strings.Join(Roles, ", "))
	}
	a, err := s.AgentByEmail(ctx, p.ID, email)
	if err != nil {
		return Agent{}, err
	}
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.keepAnOwner(ctx, tx, p, a, role); err != nil {
			return err
		}
		if err := s.db.Exec(ctx, tx, s.qs.AgentSetRole, p.ID, a.ID, role); err != nil {
			return fmt.Errorf("tickets: set role: %w", err)
		}
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	return s.AgentByEmail(ctx, p.ID, a.Email)
}

// departmentName checks a department's name: one line, no @ (an assignment tells an agent from
// a department by it).
func departmentName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "\r\n@") {
		return "", fmt.Errorf("tickets: %w: a department's name is one non-empty line without @", ErrInvalid)
	}
	return name, nil
}

// RenameDepartment renames a department; its tickets and members stay. A name another department
// of the property has (case-insensitively) is ErrExists.
func (s *Store) RenameDepartment(ctx context.Context, propertyID int64, name, to string) (Department, error) {
	to, err := departmentName(to)
	if err != nil {
		return Department{}, err
	}
	d, err := s.DepartmentByName(ctx, propertyID, name)
	if err != nil {
		return Department{}, err
	}
	err = s.db.Exec(ctx, nil, s.qs.DepartmentRename, to, strings.ToLower(to), d.ID)
	if db.IsUniqueViolation(err) {
		return Department{}, fmt.Errorf("tickets: department %q: %w", to, ErrExists)
	}
	if err != nil {
		return Department{}, fmt.Errorf("tickets: rename department: %w", err)
	}
	return s.DepartmentByName(ctx, propertyID, to)
}

// RemoveDepartment deletes a department: its tickets become unassigned (each says so in its log),
// its members stay agents, and when it was the default department the property has none (new
// tickets then reach every agent). It returns how many tickets it unassigned.
func (s *Store) RemoveDepartment(ctx context.Context, p Property, name string, actor Actor) (int, error) {
	d, err := s.DepartmentByName(ctx, p.ID, name)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.DepartmentTicketsUnassign, now, p.ID, d.ID); err != nil {
			return fmt.Errorf("tickets: remove department: unassign: %w", err)
		}
		for _, id := range ids {
			if err := s.addEvent(ctx, tx, id, "unassigned", actor, "department "+d.Name+" was removed", now); err != nil {
				return err
			}
		}
		n = len(ids)
		if err := s.db.Exec(ctx, tx, s.qs.DepartmentClearDefault, p.ID, d.ID); err != nil {
			return fmt.Errorf("tickets: remove department: default: %w", err)
		}
		if err := s.db.Exec(ctx, tx, s.qs.DepartmentDelete, d.ID, p.ID); err != nil {
			return fmt.Errorf("tickets: remove department: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.log.Info("department removed", "property", p.Slug, "department", d.Name, "unassigned", n)
	return n, nil
}

// RemoveDepartmentMember takes an agent out of a department (they stay an agent of the
// property). An agent who is not a member is ErrNotFound.
func (s *Store) RemoveDepartmentMember(ctx context.Context, propertyID int64, name, email string) (Department, error) {
	d, err := s.DepartmentByName(ctx, propertyID, name)
	if err != nil {
		return Department{}, err
	}
	a, err := s.AgentByEmail(ctx, propertyID, email)
	if err != nil {
		return Department{}, err
	}
	var gone []int64
	if err := s.db.Select(ctx, nil, &gone, s.qs.DepartmentMemberRemove, d.ID, a.ID); err != nil {
		return Department{}, fmt.Errorf("tickets: remove department member: %w", err)
	}
	if len(gone) == 0 {
		return Department{}, fmt.Errorf("tickets: %s is not a member of %s: %w", a.Email, d.Name, ErrNotFound)
	}
	return s.DepartmentByName(ctx, propertyID, d.Name)
}

// defaultDepartment is the ID of the property's default department (0: none).
func (s *Store) defaultDepartment(ctx context.Context, propertyID int64) (int64, error) {
	var id int64
	if err := s.db.Get(ctx, nil, &id, s.qs.DepartmentDefault, propertyID); err != nil {
		return 0, fmt.Errorf("tickets: default department: %w", err)
	}
	return id, nil
}
