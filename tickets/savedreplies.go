package tickets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets/rules"
)

// Saved replies: per property, named texts an agent inserts in a reply — from the web inbox, the
// API (Outgoing.SavedReply) or by mail ("#reply NAME" on the first lines) — with {placeholders}
// filled in for the ticket and the agent (templates.RenderSavedReply: the engine of the custom
// texts). A name has one text per locale; the text used for a ticket is that of the ticket's
// locale, which is the property's (postdesk knows no customer's language: SavedReplyLocales).
// Managers and above manage them (the API's routes and the web's pages check the role); every
// agent uses them. The store checks the name (rules.SavedReplyName) and the text
// (templates.CheckSavedReply); the caller checks the locale against its templates
// (templates.CheckLocale).

// SavedReply is one text of a saved reply, in one locale.
type SavedReply struct {
	Name      string    `db:"name" json:"name"`
	Locale    string    `db:"locale" json:"locale"`
	Body      string    `db:"body" json:"text"`
	CreatedBy string    `db:"created_by" json:"created_by"` // the agent's email; "": the command line
	UpdatedBy string    `db:"updated_by" json:"updated_by"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// SavedReplyLocales lists, in order, the locales whose text of a saved reply a ticket of p uses:
// the ticket's locale, then the property's, each followed by its base language. A ticket's locale
// is its property's today (no customer's language is known), so the list is the property's.
func SavedReplyLocales(p Property) []string {
	return templates.CustomLocales(p.Locale)
}

// savedReply checks a saved reply's name, locale ("": the property's) and text as the store keeps
// them.
func savedReply(p Property, r SavedReply) (SavedReply, error) {
	name, err := rules.SavedReplyName(r.Name)
	if err != nil {
		return r, &ParamError{Field: "name", Msg: err.Error()}
	}
	r.Name = name
	if strings.TrimSpace(r.Locale) == "" {
		r.Locale = p.Locale
	}
	if r.Locale = templates.NormalizeLocale(r.Locale); r.Locale == "" || len(r.Locale) > 35 {
		return r, &ParamError{Field: "locale", Msg: fmt.Sprintf("locale %q", r.Locale)}
	}
	r.Body = strings.TrimSpace(strings.ReplaceAll(r.Body, "\r\n", "\n"))
	if err := templates.CheckSavedReply(r.Body); err != nil {
		return r, &ParamError{Field: "text", Msg: strings.TrimPrefix(err.Error(), "templates: ")}
	}
	return r, nil
}

// nullAgent is an agent's id for a nullable column: NULL for the command line (no agent).
func nullAgent(a Agent) any {
	if a.ID == 0 {
		return nil
	}
	return a.ID
}

// AddSavedReply adds a saved reply's text in one locale (r.Locale; "": the property's), by an agent
// (the zero Agent: the command line). A text of that name in that locale exists: ErrExists.
func (s *Store) AddSavedReply(ctx context.Context, p Property, by Agent, r SavedReply) (SavedReply, error) {
	r, err := savedReply(p, r)
	if err != nil {
		return SavedReply{}, err
	}
	now := s.Now()
	var ids []int64
	if err := s.db.Select(ctx, nil, &ids, s.qs.SavedReplyInsert, p.ID, r.Name, r.Locale, r.Body, nullAgent(by), nullAgent(by), now, now); err != nil {
		return SavedReply{}, fmt.Errorf("tickets: add saved reply: %w", err)
	}
	if len(ids) == 0 {
		return SavedReply{}, fmt.Errorf("tickets: saved reply %q in %s: %w (change it instead)", r.Name, r.Locale, ErrExists)
	}
	r.CreatedBy, r.UpdatedBy, r.CreatedAt, r.UpdatedAt = by.Email, by.Email, now, now
	return r, nil
}

// UpdateSavedReply replaces the text of a saved reply in one locale ("": the property's). No such
// text is ErrNotFound.
func (s *Store) UpdateSavedReply(ctx context.Context, p Property, by Agent, r SavedReply) (SavedReply, error) {
	r, err := savedReply(p, r)
	if err != nil {
		return SavedReply{}, err
	}
	var ids []int64
	if err := s.db.Select(ctx, nil, &ids, s.qs.SavedReplyUpdate, r.Body, nullAgent(by), s.Now(), p.ID, r.Name, r.Locale); err != nil {
		return SavedReply{}, fmt.Errorf("tickets: change saved reply: %w", err)
	}
	if len(ids) == 0 {
		return SavedReply{}, fmt.Errorf("tickets: saved reply %q in %s: %w", r.Name, r.Locale, ErrNotFound)
	}
	return s.savedReplyText(ctx, p, r.Name, r.Locale)
}

// RemoveSavedReply removes a saved reply's text in locale, or in every locale when locale is "".
// Nothing removed is ErrNotFound.
func (s *Store) RemoveSavedReply(ctx context.Context, p Property, name, locale string) error {
	n, err := rules.SavedReplyName(name)
	if err != nil {
		return &ParamError{Field: "name", Msg: err.Error()}
	}
	var ids []int64
	if locale = templates.NormalizeLocale(locale); locale == "" {
		err = s.db.Select(ctx, nil, &ids, s.qs.SavedReplyDeleteAll, p.ID, n)
	} else {
		err = s.db.Select(ctx, nil, &ids, s.qs.SavedReplyDelete, p.ID, n, locale)
	}
	if err != nil {
		return fmt.Errorf("tickets: remove saved reply: %w", err)
	}
	if len(ids) == 0 {
		where := ""
		if locale != "" {
			where = " in " + locale
		}
		return fmt.Errorf("tickets: saved reply %q%s: %w", n, where, ErrNotFound)
	}
	return nil
}

// SavedReplies lists a property's saved replies, by name and locale.
func (s *Store) SavedReplies(ctx context.Context, propertyID int64) ([]SavedReply, error) {
	return s.savedReplies(ctx, nil, propertyID)
}

func (s *Store) savedReplies(ctx context.Context, tx *sqlx.Tx, propertyID int64) ([]SavedReply, error) {
	rs := []SavedReply{}
	if err := s.db.Select(ctx, tx, &rs, s.qs.SavedReplies, propertyID); err != nil {
		return nil, fmt.Errorf("tickets: saved replies: %w", err)
	}
	return rs, nil
}

func (s *Store) savedReplyText(ctx context.Context, p Property, name, locale string) (SavedReply, error) {
	rs, err := s.SavedReplies(ctx, p.ID)
	if err != nil {
		return SavedReply{}, err
	}
	for _, r := range rs {
		if r.Name == name && r.Locale == locale {
			return r, nil
		}
	}
	return SavedReply{}, fmt.Errorf("tickets: saved reply %q in %s: %w", name, locale, ErrNotFound)
}

// SavedReplyNames is the names of p's saved replies a ticket of p can use (with a text in one of
// SavedReplyLocales), sorted: what the reply box offers.
func (s *Store) SavedReplyNames(ctx context.Context, p Property) ([]string, error) {
	rs, err := s.SavedReplies(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return usableNames(p, rs), nil
}

func usableNames(p Property, rs []SavedReply) []string {
	locales := SavedReplyLocales(p)
	var names []string
	for _, r := range rs {
		if slices.Contains(locales, r.Locale) && !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	return names
}

// UnknownSavedReply is the refusal of a saved reply a ticket cannot use: no such name, or no text
// in the ticket's locale. Its message lists the names it can use.
type UnknownSavedReply struct {
	Name    string
	Known   []string // the names a ticket of the property can use
	Locales []string // when the name has texts, but in none of the ticket's locales: theirs
	Locale  string   // the ticket's locale
}

func (e *UnknownSavedReply) Error() string {
	known := "it has none"
	if len(e.Known) > 0 {
		known = "its saved replies: " + strings.Join(e.Known, ", ")
	}
	if len(e.Locales) > 0 {
		return fmt.Sprintf("saved reply %q has no text in %s, only in %s; %s", e.Name, e.Locale, strings.Join(e.Locales, ", "), known)
	}
	return fmt.Sprintf("no saved reply %q on this property; %s", e.Name, known)
}

// Unwrap makes the refusal an ErrInvalid: what was asked cannot be done.
func (e *UnknownSavedReply) Unwrap() error { return ErrInvalid }

// RenderSavedReply is the text of p's saved reply name for ticket ticketID (its locale's; see
// SavedReplyLocales) with its placeholders filled in for that ticket and agent by, read inside tx
// (nil: outside a transaction). A reply it cannot use is an *UnknownSavedReply.
func (s *Store) RenderSavedReply(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, by Agent, name string) (string, error) {
	n, err := rules.SavedReplyName(name)
	if err != nil {
		return "", &ParamError{Field: "saved_reply", Msg: err.Error()}
	}
	rs, err := s.savedReplies(ctx, tx, p.ID)
	if err != nil {
		return "", err
	}
	locales := SavedReplyLocales(p)
	var body string
	var others []string
	for _, l := range slices.Backward(locales) { // the first locale wins: read last
		for _, r := range rs {
			if r.Name == n && r.Locale == l {
				body = r.Body
			}
		}
	}
	if body == "" {
		for _, r := range rs {
			if r.Name == n {
				others = append(others, r.Locale)
			}
		}
		return "", &UnknownSavedReply{Name: n, Known: usableNames(p, rs), Locales: others, Locale: locales[0]}
	}
	var t []struct {
		Number  int64  `db:"number"`
		Subject string `db:"subject"`
		Email   string `db:"email"`
		Name    string `db:"name"`
	}
	if err := s.db.Select(ctx, tx, &t, s.qs.SavedReplyTicket, ticketID); err != nil {
		return "", fmt.Errorf("tickets: saved reply: %w", err)
	}
	if len(t) == 0 {
		return "", fmt.Errorf("tickets: saved reply: ticket %d: %w", ticketID, ErrNotFound)
	}
	return templates.RenderSavedReply(body, templates.SavedReplyValues{
		Ticket: t[0].Number, Subject: t[0].Subject, Property: p.Name,
		Customer: templates.Person{Name: t[0].Name, Email: t[0].Email},
		Agent:    templates.Person{Name: by.Name, Email: by.Email},
	}), nil
}

// withSavedReply is out with the saved reply it names (Outgoing.SavedReply), rendered for the
// ticket and the agent, put first: the saved text, a blank line, then what the agent wrote.
func (s *Store) withSavedReply(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, a Agent, out Outgoing) (Outgoing, error) {
	if strings.TrimSpace(out.SavedReply) == "" {
		return out, nil
	}
	text, err := s.RenderSavedReply(ctx, tx, p, ticketID, a, out.SavedReply)
	if err != nil {
		return out, err
	}
	out.Text = joinReply(text, out.Text)
	out.SavedReply = ""
	return out, nil
}

// joinReply is a saved text and what the agent wrote after it, a blank line between.
func joinReply(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n\n")
}

// SavedReplyPlaceholders lists the placeholders a saved reply may hold ("{customer_name}", …),
// for the pages that help write one (the web does not read templates).
func SavedReplyPlaceholders() []string {
	var out []string
	for _, p := range templates.SavedReplyPlaceholders() {
		out = append(out, p[0])
	}
	return out
}

// SavedReplyLocaleChoices lists the locales a saved reply of p may be written in, for a form:
// the property's first, then postdesk's built-in ones.
func SavedReplyLocaleChoices(p Property) []string {
	out := []string{templates.NormalizeLocale(p.Locale)}
	for _, l := range templates.Locales() {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}
