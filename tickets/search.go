package tickets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postdesk/postdesk/db"
)

// Query selects tickets for an inbox view.
type Query struct {
	View        string     // "all" (default), "mine", "unassigned", "closed", "snoozed", "trash", "spam"
	Status      string     // "", "open", "closed"
	Assignee    string     // "" any; an agent email; "assigned"; "unassigned"
	Department  string     // department name
	Tags        []string   // all must be present
	Priorities  []string   // any of
	CreatedFrom *time.Time // inclusive
	CreatedTo   *time.Time // exclusive
	UpdatedFrom *time.Time // inclusive
	UpdatedTo   *time.Time // exclusive
	MinMessages int
	Contact     string // customer email
	Waiting     string // "" any; WaitingUs, WaitingCustomer (closed tickets wait for nobody)
	Rating      string // "good", "okay", "bad", "none" (not rated) or "": any (ratings.go)
	Text        string // full-text search over subject and message bodies
	Sort        string // "updated" (default), "created", "status", "priority", "waiting"
	Asc         bool   // default descending (for "waiting": the longest waiting first)
	After       string // opaque keyset cursor from Page.Next
	Limit       int    // default 50, max 200
}

// ListItem is a ticket in a list, with what the list shows.
type ListItem struct {
	Ticket
	Unread       bool       `json:"unread"`
	SnoozedUntil *time.Time `json:"snoozed_until"`
	Spam         bool       `json:"spam"`
	Deleted      bool       `json:"deleted"`
}

// Page is one page of a ticket list.
type Page struct {
	Tickets []ListItem `json:"tickets"`
	Next    string     `json:"next,omitempty"` // "" on the last page
}

// ErrBadCursor is a list's after cursor that is not one of this list (stale, of another sort, or
// forged); it is also an ErrInvalid.
var ErrBadCursor = errors.New("not a cursor of this list")

// Views, sorts and limits of Search.
var (
	Views = []string{"all", "mine", "unassigned", "closed", "snoozed", "trash", "spam"}
	Sorts = []string{"updated", "created", "status", "priority", "waiting"}
)

const (
	DefaultLimit = 50
	MaxLimit     = 200
	// MaxSearchWords bounds the words of a full-text search; MaxSearchText its length in bytes.
	MaxSearchWords = 16
	MaxSearchText  = 500
	// ftsCommon is where, on SQLite, a search's words become common enough (in that many
	// messages) that walking the list beats sorting the matches (measured on 100000 tickets).
	ftsCommon = 500
)

// priorityRank orders priorities low < normal < high < urgent; an unknown value ranks as normal.
const priorityRank = `CASE t.priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 ELSE 1 END`

// sortExprs are the SQL sort keys. Each sort is completed by t.id, so the order is total and a
// keyset cursor (keys, id) is exact.
var sortExprs = map[string][]string{
	"updated":  {"t.updated_at"},
	"created":  {"t.created_at"},
	"status":   {"t.status"},
	"priority": {priorityRank},
	"waiting":  {waitingRank, waitingKey},
}

// flipped are the sorts whose descending order (the default) runs their SQL keys ascending: the
// longest waiting first is the earliest waiting_since first.
var flipped = map[string]bool{"waiting": true}

// A page is chosen from tickets alone (pageSelect, its filters, order and limit), then dressed
// with the names and read state of its few rows (dressSelect): the engines plan and run the
// expensive part over one table.
const pageSelect = `SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority, t.contact_id,
	t.assignee_agent_id, t.assignee_department_id, t.follows_up_ticket_id, t.message_count,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at, t.snoozed_until, t.spam, t.deleted_at,
	` + priorityRank + ` AS priority_rank, ` + waitingRank + ` AS waiting_rank, ` + waitingKey + ` AS waiting_key
	FROM %s
	WHERE t.property_id = ?`

const dressSelect = `SELECT p.id, p.property_id, p.number, p.subject, p.status, p.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, p.message_count, f.number AS follows_up,
	p.created_at, p.updated_at, p.closed_at, p.waiting, p.waiting_since, p.first_response_at, p.snoozed_until, p.spam,
	CASE WHEN p.deleted_at IS NULL THEN 0 ELSE 1 END AS deleted,
	CASE WHEN r.read_at IS NULL OR r.read_at < p.updated_at THEN 1 ELSE 0 END AS unread,
	p.priority_rank
	FROM (%s) p
	LEFT JOIN contacts c ON c.id = p.contact_id
	LEFT JOIN agents a ON a.id = p.assignee_agent_id
	LEFT JOIN departments d ON d.id = p.assignee_department_id
	LEFT JOIN tickets f ON f.id = p.follows_up_ticket_id
	LEFT JOIN ticket_reads r ON r.ticket_id = p.id AND r.agent_id = ?
	ORDER BY %s`

// outerSort are the sort keys of a sort over the page's columns.
var outerSort = map[string][]string{
	"updated":  {"p.updated_at"},
	"created":  {"p.created_at"},
	"status":   {"p.status"},
	"priority": {"p.priority_rank"},
	"waiting":  {"p.waiting_rank", "p.waiting_key"},
}

// orderBy is keys, each in direction dir, then the id.
func orderBy(keys []string, id, dir string) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " " + dir + ", ")
	}
	return b.String() + id + " " + dir
}

type searchRow struct {
	Ticket
	SnoozedUntil *time.Time `db:"snoozed_until"`
	Spam         bool       `db:"spam"`
	Deleted      int        `db:"deleted"`
	Unread       int        `db:"unread"`
	PriorityRank int        `db:"priority_rank"`
}

// cursor is the position after the last row of a page: its sort keys and id. Sort and Asc tie it
// to the order it was made for. The "waiting" sort has two keys: Rank and Time.
type cursor struct {
	Sort string     `json:"s"`
	Asc  bool       `json:"a,omitempty"`
	Time *time.Time `json:"t,omitempty"`
	Str  *string    `json:"k,omitempty"`
	Rank *int       `json:"r,omitempty"`
	ID   int64      `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string, asc bool) (cursor, error) {
	bad := func(why string) (cursor, error) {
		return cursor{}, fmt.Errorf("tickets: %w: %w: after: %s", ErrInvalid, ErrBadCursor, why)
	}
	if len(s) > 512 {
		return bad("cursor too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("not a cursor of this list")
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.ID <= 0 {
		return bad("not a cursor of this list")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("not a cursor of this list")
	}
	if c.Sort != sort || c.Asc != asc {
		return bad("the cursor belongs to another sort order")
	}
	ok := false
	switch sort {
	case "updated", "created":
		ok = c.Time != nil && c.Str == nil && c.Rank == nil
	case "status":
		ok = c.Str != nil && c.Time == nil && c.Rank == nil && (*c.Str == StatusOpen || *c.Str == StatusClosed)
	case "priority":
		ok = c.Rank != nil && c.Time == nil && c.Str == nil && *c.Rank >= 0 && int(*c.Rank) < len(Priorities)
	case "waiting":
		ok = c.Rank != nil && c.Time != nil && c.Str == nil && *c.Rank >= 0 && *c.Rank <= 2
	}
	if !ok {
		return bad("not a cursor of this list")
	}
	return c, nil
}

// cursorAfter is the cursor positioned on row r.
func cursorAfter(r searchRow, sort string, asc bool) cursor {
	c := cursor{Sort: sort, Asc: asc, ID: r.ID}
	switch sort {
	case "updated":
		t := r.UpdatedAt.UTC()
		c.Time = &t
	case "created":
		t := r.CreatedAt.UTC()
		c.Time = &t
	case "status":
		st := r.Status
		c.Str = &st
	case "priority":
		rank := r.PriorityRank
		c.Rank = &rank
	case "waiting":
		rank, t := waitingRankOf(r.Waiting), r.UpdatedAt.UTC()
		if r.WaitingSince != nil {
			t = r.WaitingSince.UTC()
		}
		c.Rank, c.Time = &rank, &t
	}
	return c
}

// keys are the cursor's sort keys, in the order of sortExprs.
func (c cursor) keys() []any {
	switch {
	case c.Rank != nil && c.Time != nil:
		return []any{*c.Rank, c.Time.UTC()}
	case c.Time != nil:
		return []any{c.Time.UTC()}
	case c.Str != nil:
		return []any{*c.Str}
	default:
		return []any{*c.Rank}
	}
}

// where collects conditions and their arguments in order. anyOf, when set, are alternatives of
// which a ticket must meet one (the full-text search on PostgreSQL: its subject, or one of its
// messages); each is planned apart, so each can use its own index.
type where struct {
	conds []string
	args  []any
	anyOf []where
	// from replaces "tickets t", with its arguments, to make another table lead the plan.
	from     string
	fromArgs []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func invalid(field, format string, a ...any) error {
	return fmt.Errorf("tickets: %w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, a...))
}

// Search returns one page of a property's tickets for agent viewerID (for "mine" and unread).
func (s *Store) Search(ctx context.Context, propertyID, viewerID int64, q Query) (Page, error) {
	if q.View == "" {
		q.View = "all"
	}
	if q.Sort == "" {
		q.Sort = "updated"
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return Page{}, invalid("limit", "%d: between 1 and %d", q.Limit, MaxLimit)
	}
	sortKeys, ok := sortExprs[q.Sort]
	if !ok {
		return Page{}, invalid("sort", "%q: one of %s", q.Sort, strings.Join(Sorts, ", "))
	}
	outer := outerSort[q.Sort]
	if q.Sort == "waiting" && q.Waiting != "" {
		// One side: its rank is one value, left out of the order so that SQLite too reads the
		// index in order rather than sorting (it does not see an expression held equal as one).
		sortKeys, outer = sortKeys[1:], outer[1:]
	}
	now := s.Now()
	var w where
	if err := s.viewWhere(&w, q.View, viewerID, now); err != nil {
		return Page{}, err
	}
	if err := s.filterWhere(ctx, &w, propertyID, q); err != nil {
		return Page{}, err
	}
	dir, cmp := "DESC", "<"
	if q.Asc != flipped[q.Sort] {
		dir, cmp = "ASC", ">"
	}
	if q.After != "" {
		c, err := decodeCursor(q.After, q.Sort, q.Asc)
		if err != nil {
			return Page{}, err
		}
		// A row value, which both engines compare in one index range.
		keys := c.keys()
		keys = keys[len(keys)-len(sortKeys):]
		w.add(fmt.Sprintf(`(%s, t.id) %s (%s?)`, strings.Join(sortKeys, ", "), cmp, strings.Repeat("?, ", len(sortKeys))),
			append(keys, c.ID)...)
	}
	page, pageArgs := pageQuery(w, propertyID, sortKeys, outer, dir, q.Limit+1)
	query := fmt.Sprintf(dressSelect, page, orderBy(outer, "p.id", dir))
	args := append(pageArgs, viewerID)

	var rows []searchRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return Page{}, fmt.Errorf("tickets: search: %w", err)
	}
	res := Page{Tickets: []ListItem{}}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		res.Next = cursorAfter(rows[len(rows)-1], q.Sort, q.Asc).encode()
	}
	ts := make([]Ticket, len(rows))
	for i := range rows {
		ts[i] = rows[i].Ticket
	}
	if err := s.loadTags(ctx, s.db.DB, ts); err != nil {
		return Page{}, err
	}
	for i, r := range rows {
		t := ts[i]
		t.normalise()
		item := ListItem{Ticket: t, Unread: r.Unread != 0, Spam: r.Spam, Deleted: r.Deleted != 0}
		if r.SnoozedUntil != nil {
			u := utc(*r.SnoozedUntil)
			item.SnoozedUntil = &u
		}
		res.Tickets = append(res.Tickets, item)
	}
	return res, nil
}

// pageQuery is the query of one page of tickets (limit rows) meeting w, in order. With
// alternatives, it is the union of a page for each, cut to one page again.
func pageQuery(w where, propertyID int64, sortKeys, outer []string, dir string, limit int) (string, []any) {
	from := "tickets t"
	if w.from != "" {
		from = w.from
	}
	lead := append(slices.Clip(w.fromArgs), propertyID)
	one := func(conds []string) string {
		q := fmt.Sprintf(pageSelect, from)
		for _, c := range conds {
			q += "\n\tAND " + c
		}
		return q + fmt.Sprintf("\n\tORDER BY %s LIMIT %d", orderBy(sortKeys, "t.id", dir), limit)
	}
	if len(w.anyOf) == 0 {
		return one(w.conds), append(lead, w.args...)
	}
	var parts []string
	var args []any
	for i, alt := range w.anyOf {
		parts = append(parts, fmt.Sprintf("SELECT * FROM (%s) u%d", one(append(slices.Clip(w.conds), alt.conds...)), i))
		args = append(append(append(args, lead...), w.args...), alt.args...)
	}
	// The union's columns are named as in pageSelect; the outer sort keys are theirs.
	var keys []string
	for _, k := range outer {
		keys = append(keys, strings.TrimPrefix(k, "p."))
	}
	return fmt.Sprintf("%s\n\tORDER BY %s LIMIT %d", strings.Join(parts, "\n\tUNION\n\t"), orderBy(keys, "id", dir), limit), args
}

// viewWhere adds the conditions of an inbox view.
func (s *Store) viewWhere(w *where, view string, viewerID int64, now time.Time) error {
	w.add(`t.merged_into_ticket_id IS NULL`) // a merged ticket is a pointer, in no view (merge.go)
	visible := func() {
		w.add(`t.deleted_at IS NULL`)
		w.add(`t.spam = ?`, false)
		w.add(`(t.snoozed_until IS NULL OR t.snoozed_until <= ?)`, now)
	}
	switch view {
	case "all":
		visible()
	case "mine":
		if viewerID <= 0 {
			return invalid("view", "mine needs an agent")
		}
		visible()
		w.add(`t.assignee_agent_id = ?`, viewerID)
		w.add(`t.status = ?`, StatusOpen)
	case "unassigned":
		visible()
		w.add(`t.assignee_agent_id IS NULL`)
		w.add(`t.assignee_department_id IS NULL`)
		w.add(`t.status = ?`, StatusOpen)
	case "closed":
		visible()
		w.add(`t.status = ?`, StatusClosed)
	case "snoozed":
		w.add(`t.deleted_at IS NULL`)
		w.add(`t.spam = ?`, false)
		w.add(`t.snoozed_until > ?`, now)
	case "trash":
		w.add(`t.deleted_at IS NOT NULL`)
	case "spam":
		w.add(`t.deleted_at IS NULL`)
		w.add(`t.spam = ?`, true)
	default:
		return invalid("view", "%q: one of %s", view, strings.Join(Views, ", "))
	}
	return nil
}

// filterWhere adds the conditions of the query's filters.
func (s *Store) filterWhere(ctx context.Context, w *where, propertyID int64, q Query) error {
	switch q.Status {
	case "":
	case StatusOpen, StatusClosed:
		w.add(`t.status = ?`, q.Status)
	default:
		return invalid("status", "%q: open or closed", q.Status)
	}
	switch a := strings.TrimSpace(q.Assignee); a {
	case "":
	case "assigned":
		w.add(`t.assignee_agent_id IS NOT NULL`)
	case "unassigned":
		w.add(`t.assignee_agent_id IS NULL`)
	default:
		if !strings.Contains(a, "@") {
			return invalid("assignee", "%q: an agent's email, assigned or unassigned", a)
		}
		w.add(`t.assignee_agent_id IN (SELECT ag.id FROM agents ag WHERE ag.email = ?)`, normEmail(a))
	}
	if dep := strings.TrimSpace(q.Department); dep != "" {
		w.add(`t.assignee_department_id IN (SELECT dp.id FROM departments dp WHERE dp.property_id = ? AND dp.name_key = ?)`,
			propertyID, strings.ToLower(dep))
	}
	if cond, args := ratingCond(q.Rating); cond != "" { // ratings.go
		w.add(cond, args...)
	}
	seen := map[string]bool{}
	for _, tag := range q.Tags {
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" || len(tag) > 64 {
			return invalid("tags", "%q: one word of up to 64 characters", tag)
		}
		if seen[tag] {
			continue
		}
		seen[tag] = true
		w.add(`EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ?)`, tag)
	}
	if len(seen) > 20 {
		return invalid("tags", "at most 20")
	}
	if len(q.Priorities) > 0 {
		var ps []any
		for _, p := range q.Priorities {
			if !slices.Contains(Priorities, p) {
				return invalid("priority", "%q: one of %s", p, strings.Join(Priorities, ", "))
			}
			ps = append(ps, p)
		}
		w.add(`t.priority IN (?`+strings.Repeat(", ?", len(ps)-1)+`)`, ps...)
	}
	if err := timeRange(w, "created", "t.created_at", q.CreatedFrom, q.CreatedTo); err != nil {
		return err
	}
	if err := timeRange(w, "updated", "t.updated_at", q.UpdatedFrom, q.UpdatedTo); err != nil {
		return err
	}
	if q.MinMessages < 0 {
		return invalid("min_messages", "%d: must not be negative", q.MinMessages)
	}
	if q.MinMessages > 0 {
		w.add(`t.message_count >= ?`, q.MinMessages)
	}
	if c := normEmail(q.Contact); c != "" {
		w.add(`t.contact_id IN (SELECT ct.id FROM contacts ct WHERE ct.property_id = ? AND ct.email = ?)`, propertyID, c)
	}
	switch q.Waiting {
	case "":
	case WaitingUs, WaitingCustomer:
		// By the sort's rank, so that the waiting sort reads one range of its index.
		w.add(waitingRank+` = ?`, waitingRankOf(&q.Waiting))
	default:
		return invalid("waiting", "%q: %s or %s", q.Waiting, WaitingUs, WaitingCustomer)
	}
	if strings.TrimSpace(q.Text) != "" {
		return s.textWhere(ctx, w, q.Text)
	}
	return nil
}

func timeRange(w *where, field, col string, from, to *time.Time) error {
	if from != nil && to != nil && from.After(*to) {
		return invalid(field, "the range ends (%s) before it starts (%s)", to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	if from != nil {
		w.add(col+` >= ?`, from.UTC().Truncate(time.Microsecond))
	}
	if to != nil {
		w.add(col+` < ?`, to.UTC().Truncate(time.Microsecond))
	}
	return nil
}

// searchWords splits text into the words a full-text search looks for: runs of letters and
// digits, as both engines' tokenizers see them. Everything else separates words, so no input can
// carry query syntax.
func searchWords(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
}

// textWhere adds the full-text condition: the ticket's subject or one of its messages (subject
// or body) holds every word of text. This is the store's dialect-specific query: FTS5 on SQLite,
// text search on PostgreSQL, both maintained by migration 0005.
func (s *Store) textWhere(ctx context.Context, w *where, text string) error {
	if len(text) > MaxSearchText || !utf8.ValidString(text) {
		return invalid("text", "at most %d bytes of UTF-8", MaxSearchText)
	}
	words := searchWords(text)
	if len(words) == 0 {
		return invalid("text", "%q has no words to search for", text)
	}
	if len(words) > MaxSearchWords {
		return invalid("text", "at most %d words", MaxSearchWords)
	}
	if s.db.Dialect == db.Postgres {
		// The words as FTS5 would see them (letters and digits), so that both engines find the
		// same: the index split the same punctuation (migration 0005). plainto_tsquery takes any
		// text (it has no operators). The expressions are those of the indexes, or the indexes
		// are not used. The planner picks, by how common the words
		// are, between finding the matches first (GIN) and walking the list testing each
		// ticket's messages (search_tsv is stored, so the test is cheap).
		text = strings.Join(words, " ")
		w.anyOf = []where{
			{conds: []string{`EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.search_tsv @@ plainto_tsquery('simple', ?))`}, args: []any{text}},
			{conds: []string{`to_tsvector('simple', translate(t.subject, '@.-/_:+''', '        ')) @@ plainto_tsquery('simple', ?)`}, args: []any{text}},
		}
		return nil
	}
	// FTS5: every word a quoted string (quotes doubled), joined by spaces: an implicit AND of
	// phrases, with no operator, column filter or prefix the user could inject.
	quoted := make([]string, len(words))
	for i, wd := range words {
		quoted[i] = `"` + strings.ReplaceAll(wd, `"`, `""`) + `"`
	}
	match := strings.Join(quoted, " ")
	// The rowid is ticket_id << 32 | message id (see the migration). SQLite's planner knows
	// nothing of how common the words are; a bounded count tells. For rare words the matches
	// lead (CROSS JOIN fixes the order of the loops: few tickets, then sorted); for common ones
	// the list is walked in order, each ticket looked up in the set of matches.
	var n int
	if err := s.db.Get(ctx, nil, &n, s.qs.SearchFTSCount, match, ftsCommon); err != nil {
		return fmt.Errorf("tickets: search: %w", err)
	}
	if n < ftsCommon {
		w.from = `(SELECT DISTINCT rowid >> 32 AS ticket_id FROM search_fts WHERE search_fts MATCH ?) fts CROSS JOIN tickets t`
		w.fromArgs = []any{match}
		w.add(`t.id = fts.ticket_id`)
	} else {
		w.add(`t.id IN (SELECT rowid >> 32 FROM search_fts WHERE search_fts MATCH ?)`, match)
	}
	return nil
}
