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
