package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// PropertyText is a property's own text for one kind of mail to customers (the acknowledgement,
// the close mail) in one locale, used instead of the built-in text. Its subject and body are plain
// text with {placeholders}; templates.CheckCustomText checks them before they are set, and
// templates renders them.
type PropertyText struct {
	Kind      string    `db:"kind" json:"kind"`
	Locale    string    `db:"locale" json:"locale"`
	Subject   string    `db:"subject" json:"subject"` // "": the built-in subject
	Body      string    `db:"body" json:"body"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// SetPropertyText sets (or replaces) a property's text for kind in locale. The caller checks the
// kind, the locale and the text (templates.CheckCustomText); the store refuses only an empty body
// or an empty kind or locale.
func (s *Store) SetPropertyText(ctx context.Context, propertyID int64, t PropertyText) error {
	t.Kind, t.Locale = strings.TrimSpace(t.Kind), strings.ToLower(strings.TrimSpace(t.Locale))
	if t.Kind == "" || t.Locale == "" || strings.TrimSpace(t.Body) == "" {
		return fmt.Errorf("tickets: %w: a property's text needs a kind, a locale and a body", ErrInvalid)
	}
	if err := s.db.Exec(ctx, nil, s.qs.PropertyTextUpsert, propertyID, t.Kind, t.Locale, t.Subject, t.Body, s.Now()); err != nil {
		return fmt.Errorf("tickets: set property text: %w", err)
	}
	return nil
}

// DeletePropertyText removes a property's text for kind in locale: its mail is the built-in one
// again. No such text is ErrNotFound.
func (s *Store) DeletePropertyText(ctx context.Context, propertyID int64, kind, locale string) error {
	var gone []string
	if err := s.db.Select(ctx, nil, &gone, s.qs.PropertyTextDelete, propertyID, kind, strings.ToLower(strings.TrimSpace(locale))); err != nil {
		return fmt.Errorf("tickets: delete property text: %w", err)
	}
	if len(gone) == 0 {
		return fmt.Errorf("tickets: %s text in %s: %w", kind, locale, ErrNotFound)
	}
	return nil
}

// PropertyTexts lists a property's texts, by kind and locale.
func (s *Store) PropertyTexts(ctx context.Context, propertyID int64) ([]PropertyText, error) {
	ts := []PropertyText{}
	if err := s.db.Select(ctx, nil, &ts, s.qs.PropertyTexts, propertyID); err != nil {
		return nil, fmt.Errorf("tickets: property texts: %w", err)
	}
	return ts, nil
}

// PropertyText reads, inside tx (nil: outside a transaction), the property's text for kind in the
// first of locales that has one; ok is false when none has.
func (s *Store) PropertyText(ctx context.Context, tx *sqlx.Tx, propertyID int64, kind string, locales []string) (t PropertyText, ok bool, err error) {
	for _, l := range locales {
		var ts []PropertyText
		if err := s.db.Select(ctx, tx, &ts, s.qs.PropertyTextGet, propertyID, kind, l); err != nil {
			return PropertyText{}, false, fmt.Errorf("tickets: property text: %w", err)
		}
		if len(ts) > 0 {
			return ts[0], true, nil
		}
	}
	return PropertyText{}, false, nil
}

// SetCloseMail turns the close mail to customers on or off (Property.CloseMail).
func (s *Store) SetCloseMail(ctx context.Context, propertyID int64, on bool) error {
	if err := s.db.Exec(ctx, nil, s.qs.PropertySetCloseMail, on, propertyID); err != nil {
		return fmt.Errorf("tickets: set close mail: %w", err)
	}
	return nil
}

// ViaList reports, inside tx, whether mail of the ticket came in through a mailing list.
func (s *Store) ViaList(ctx context.Context, tx *sqlx.Tx, ticketID int64) (bool, error) {
	var n int
	if err := s.db.Get(ctx, tx, &n, s.qs.TicketViaList, ticketID, KindList); err != nil {
		return false, fmt.Errorf("tickets: via list: %w", err)
	}
	return n > 0, nil
}
