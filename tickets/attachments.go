package tickets

import (
	"context"
	"fmt"

	"github.com/postdesk/postdesk/db"
)

// Attachment returns one attachment of a property's messages, with its bytes. An attachment of
// another property is ErrNotFound, exactly like one that does not exist: IDs are global, and an
// API must not tell a caller which IDs another property holds.
func (s *Store) Attachment(ctx context.Context, propertyID, attachmentID int64) (Attachment, error) {
	var a Attachment
	err := s.db.GetContext(ctx, &a, s.q(`SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.content_id, a.inline, a.sha256, a.data
		FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE m.property_id = ? AND a.id = ?`), propertyID, attachmentID)
	if db.IsNoRows(err) {
		return Attachment{}, fmt.Errorf("tickets: attachment %d: %w", attachmentID, ErrNotFound)
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("tickets: attachment %d: %w", attachmentID, err)
	}
	if a.Data == nil {
		a.Data = []byte{}
	}
	return a, nil
}

// MessageHTML returns the HTML body of one of a property's messages as it was received — unsafe to
// show as it is: callers sanitise it. A message without HTML gives "". A message of another
// property is ErrNotFound.
func (s *Store) MessageHTML(ctx context.Context, propertyID, messageID int64) (string, error) {
	var html string
	err := s.db.GetContext(ctx, &html, s.q(`SELECT html_body FROM messages WHERE property_id = ? AND id = ?`), propertyID, messageID)
	if db.IsNoRows(err) {
		return "", fmt.Errorf("tickets: message %d: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("tickets: message %d: %w", messageID, err)
	}
	return html, nil
}

// Departments lists a property's departments, by name, with their members. (It belongs beside
// AddDepartment in admin.go; it is here because the API needed it while admin.go was being
// changed.)
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
