package tickets

import (
	"fmt"
	"mime"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file reads what an agent asks for — a ticket list's parameters, an action and its
// arguments, an attachment — the same way for every front end (the API, the web inbox). A bad
// value is a *ParamError naming its input.

// ParamError is a value an agent gave that is refused: Field names the input.
type ParamError struct {
	Field string
	Msg   string
}

func (e *ParamError) Error() string { return "tickets: invalid: " + e.Msg }

// Unwrap makes a ParamError an ErrInvalid.
func (e *ParamError) Unwrap() error { return ErrInvalid }

func paramErr(field, format string, args ...any) *ParamError {
	return &ParamError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ListParams are the parameters of a ticket list.
var ListParams = []string{"view", "status", "assignee", "department", "tag", "priority", "created_from", "created_to",
	"updated_from", "updated_to", "min_messages", "contact", "waiting", "q", "sort", "order", "after", "limit", "rating"}

// Statuses a list may ask for ("all" is none).
var Statuses = []string{"open", "closed", "all"}

// ParseQuery turns a list's parameters into a Query; viewer is the calling agent's email ("me" in
// assignee). Unknown parameters are refused when strict (the API); the web inbox passes its own
// parameters along and is not strict. Empty values are no filter.
func ParseQuery(v url.Values, viewer string, strict bool) (Query, error) {
	var q Query
	for k, vals := range v {
		if !slices.Contains(ListParams, k) {
			if strict {
				return q, paramErr(k, "unknown parameter %q: one of %s", k, strings.Join(ListParams, ", "))
			}
			continue
		}
		if len(vals) > 1 && k != "tag" && k != "priority" {
			return q, paramErr(k, "give %s once", k)
		}
	}
	str := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	q.View = str("view")
	if q.View != "" && !slices.Contains(Views, q.View) {
		return q, paramErr("view", "view %q: one of %s", q.View, strings.Join(Views, ", "))
	}
	q.Status = str("status")
	if q.Status != "" && !slices.Contains(Statuses, q.Status) {
		return q, paramErr("status", "status %q: one of %s", q.Status, strings.Join(Statuses, ", "))
	}
	if q.Status == "all" {
		q.Status = ""
	}
	q.Assignee = str("assignee")
	switch {
	case q.Assignee == "me":
		q.Assignee = viewer
	case q.Assignee == "", q.Assignee == "assigned", q.Assignee == "unassigned":
	case !ValidEmail(q.Assignee):
		return q, paramErr("assignee", "assignee %q: an agent's email, me, assigned or unassigned", q.Assignee)
	}
	q.Department = str("department")
	q.Tags = splitList(v["tag"])
	for _, t := range q.Tags {
		if len(t) > 64 || strings.ContainsAny(t, " \t\r\n") {
			return q, paramErr("tag", "tag %q: one word of up to 64 characters", t)
		}
	}
	q.Priorities = splitList(v["priority"])
	for _, p := range q.Priorities {
		if !slices.Contains(Priorities, p) {
			return q, paramErr("priority", "priority %q: one of %s", p, strings.Join(Priorities, ", "))
		}
	}
	for _, t := range []struct {
		key string
		dst **time.Time
	}{{"created_from", &q.CreatedFrom}, {"created_to", &q.CreatedTo}, {"updated_from", &q.UpdatedFrom}, {"updated_to", &q.UpdatedTo}} {
		s := str(t.key)
		if s == "" {
			continue
		}
		at, err := ParseInstant(s)
		if err != nil {
			return q, paramErr(t.key, "%s %q: a time as 2006-01-02T15:04:05Z (RFC 3339) or a date as 2006-01-02", t.key, s)
		}
		*t.dst = &at
	}
	if s := str("min_messages"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, paramErr("min_messages", "min_messages %q: a whole number, 0 or more", s)
		}
		q.MinMessages = n
	}
	q.Contact = strings.ToLower(str("contact"))
	if q.Contact != "" && !ValidEmail(q.Contact) {
		return q, paramErr("contact", "contact %q is not an email address", q.Contact)
	}
	q.Waiting = str("waiting")
	if q.Waiting != "" && !slices.Contains(WaitingSides, q.Waiting) {
		return q, paramErr("waiting", "waiting %q: one of %s", q.Waiting, strings.Join(WaitingSides, ", "))
	}
	if q.Rating = strings.ToLower(str("rating")); CheckRatingFilter(q.Rating) != nil { // ratings.go
		return q, CheckRatingFilter(q.Rating)
	}
	q.Text = str("q")
	if len(q.Text) > MaxSearchText {
		return q, paramErr("q", "q is longer than %d bytes", MaxSearchText)
	}
	q.Sort = str("sort")
	if q.Sort != "" && !slices.Contains(Sorts, q.Sort) {
		return q, paramErr("sort", "sort %q: one of %s", q.Sort, strings.Join(Sorts, ", "))
	}
	switch order := str("order"); order {
	case "", "desc":
	case "asc":
		q.Asc = true
	default:
		return q, paramErr("order", "order %q: asc or desc", order)
	}
	q.After = str("after")
	if s := str("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return q, paramErr("limit", "limit %q: 1 to %d", s, MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// splitList reads a parameter given repeatedly or comma-separated, or both.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// ParseInstant reads an RFC 3339 time, or a date (midnight UTC). An offset can carry the instant
// out of years 0000-9999 (9999-12-31T23:59:59-23:59): refused, because no RFC 3339 time names it
// and SQLite, comparing times as text, would take year 10000 for earlier than 2026.
func ParseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Parse(time.DateOnly, s)
	}
	if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("tickets: %q is out of years 0000 to 9999 in UTC", s)
	}
	return t, nil
}

// CheckPriority refuses a priority that is not one of Priorities.
func CheckPriority(p string) error {
	if slices.Contains(Priorities, p) {
		return nil
	}
	return paramErr("priority", "priority %q: one of %s", p, strings.Join(Priorities, ", "))
}

// AssignTarget checks an assignment, exactly one of an agent's email or a department's name, and
// returns the target the store takes. The field of its error is "agent" or "department".
func AssignTarget(agent, department string) (string, error) {
	switch {
	case agent != "" && department != "":
		return "", paramErr("department", "assign to an agent or a department, not both")
	case agent != "":
		if !strings.Contains(agent, "@") {
			return "", paramErr("agent", "agent %q: an agent's email address", agent)
		}
		return agent, nil
	case strings.TrimSpace(department) != "":
		if strings.Contains(department, "@") {
			return "", paramErr("department", "department %q: a department's name", department)
		}
		return department, nil
	}
	return "", paramErr("agent", "give agent (an email) or department (a name)")
}

// AttachmentOf checks a file an agent attaches: a clean file name (its last path element, on one
// line) and a media type (from the name when none is given).
func AttachmentOf(field, filename, contentType string, data []byte) (NewAttachment, error) {
	name := CleanFilename(filename)
	if name == "" {
		return NewAttachment{}, paramErr(field+".filename", "%s.filename is required", field)
	}
	ct := strings.TrimSpace(contentType)
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(name))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return NewAttachment{}, paramErr(field+".content_type", "%s.content_type %q is not a media type", field, contentType)
	}
	return NewAttachment{Filename: name, ContentType: mime.FormatMediaType(mt, params), Data: data}, nil
}

// CleanFilename keeps the last path element of a name, on one line; "" when nothing is left.
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." || len(name) > 255 {
		return ""
	}
	return name
}

// MaxSize is the largest size ParseSize accepts: 1 TB, far beyond any mail.
const MaxSize = 1_000_000_000_000

// ParseSize reads a size in bytes as an admin writes it: "10MB", "512 kB", "2MiB", "1500000",
// "0". Units are B, KB, MB, GB (powers of 1000) and KiB, MiB, GiB (powers of 1024), in any case;
// a decimal fraction is allowed with a unit ("1.5MB"). A negative size, one above MaxSize, or
// anything else is an error that says what is accepted.
func ParseSize(s string) (int64, error) {
	bad := fmt.Errorf("tickets: %w: size %q: a number of bytes, or one with a unit: 10MB, 512KB, 2MiB, 0", ErrInvalid, s)
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" || num[0] == '.' || num[len(num)-1] == '.' || strings.Count(num, ".") > 1 || len(num) > 20 {
		return 0, bad
	}
	mult := map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[unit]
	if mult == 0 || (mult == 1 && strings.Contains(num, ".")) {
		return 0, bad
	}
	whole, frac, _ := strings.Cut(num, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > MaxSize/mult {
		return 0, bad
	}
	n := w * mult
	if frac != "" {
		// The fraction counts to about the byte: digits beyond the unit's precision are dropped
		// (at most 9, so f*mult cannot overflow: under 1e9 × 2^30).
		f, scale := int64(0), int64(1)
		for _, d := range frac {
			if scale*10 > mult {
				break
			}
			f, scale = f*10+int64(d-'0'), scale*10
		}
		n += f * mult / scale
	}
	if n > MaxSize {
		return 0, bad
	}
	return n, nil
}
