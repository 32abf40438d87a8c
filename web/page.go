package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/tickets"
)

// pageTemplate is one page: the layout with the page's own blocks.
type pageTemplate struct{ t *template.Template }

// pageNames are the pages; each is templates/<name>.html over templates/layout.html.
var pageNames = []string{"signin", "linksent", "link", "inbox", "ticket", "compose", "contacts", "contact", "confirm", "error",
	"admin_property", "admin_agents", "admin_departments", "admin_mailboxes", "oauth", "savedreplies", "removed"}

var funcs = template.FuncMap{
	"join":      strings.Join,
	"hasPrefix": strings.HasPrefix,
	"has":       func(list []string, s string) bool { return slices.Contains(list, s) },
	"add":       func(a, b int) int { return a + b },
	"list":      func(s ...string) []string { return s },
	// pathEscape makes an address one path segment ('/', '?' and '#' are valid in its local part).
	"pathEscape": url.PathEscape,
	"pair":       func(a, b any) []any { return []any{a, b} },
	"deref2": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
	"deref64": func(n *int64) int64 {
		if n == nil {
			return 0
		}
		return *n
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"initial": func(name, email string) string {
		for _, r := range strings.TrimSpace(name + email) {
			return strings.ToUpper(string(r))
		}
		return "?"
	},
}

func loadPages() (map[string]*pageTemplate, error) {
	out := map[string]*pageTemplate{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

// page is what every template is given.
type page struct {
	s       *Server
	Name    string
	Title   string
	Lang    string
	Langs   []string
	loc     *time.Location
	now     time.Time
	Call    *call
	Session *Session
	Prop    *tickets.Property
	Role    string
	CSRF    string
	Asset   func(string) string
	Notice  string // a localised message key with its arguments already applied
	Error   string
	Data    any
	// Live is the events URL the page's script subscribes to ("" without a feed).
	Live      string
	Heartbeat int // seconds
}

// T is the page's language's text for key, formatted with args.
func (p *page) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// Zone is the name of the agent's time zone.
func (p *page) Zone() string { return p.loc.String() }

// When is a time in the agent's zone: the time alone today, else the date and time.
func (p *page) When(t time.Time) string {
	lt, now := t.In(p.loc), p.now.In(p.loc)
	if lt.Year() == now.Year() && lt.YearDay() == now.YearDay() {
		return lt.Format("15:04")
	}
	if lt.Year() == now.Year() {
		return lt.Format("02 Jan 15:04")
	}
	return lt.Format("2006-01-02 15:04")
}

// Full is a time in the agent's zone, exactly, with the zone.
func (p *page) Full(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04:05 MST") }

// Ptr is When of a time that may be absent.
func (p *page) Ptr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return p.When(*t)
}

// Age is how long ago t was, short: "now", "5 min", "2 h", "3 d".
func (p *page) Age(t time.Time) string {
	d := p.now.Sub(t)
	switch {
	case d < time.Minute:
		return p.T("age_now")
	case d < time.Hour:
		return p.T("age_min", int(d/time.Minute))
	case d < 48*time.Hour:
		return p.T("age_h", int(d/time.Hour))
	case d < 60*24*time.Hour:
		return p.T("age_d", int(d/(24*time.Hour)))
	}
	return t.In(p.loc).Format("2006-01-02")
}

// Dur is a length of time, short: "5 min", "2 h", "3 d".
func (p *page) Dur(d time.Duration) string {
	switch {
	case d < time.Hour:
		return p.T("age_min", int(d/time.Minute))
	case d < 48*time.Hour:
		return p.T("age_h", int(d/time.Hour))
	}
	return p.T("age_d", int(d/(24*time.Hour)))
}

// Waited is how long the customer of t has waited for an answer, until now ("" when t does not
// wait for us).
func (p *page) Waited(t tickets.Ticket) string {
	if !t.WaitingForUs() {
		return ""
	}
	return p.Dur(t.WaitingFor(p.now))
}

// FirstResponse is how long t's customer waited for the first reply ("" before there is one).
func (p *page) FirstResponse(t tickets.Ticket) string {
	d, ok := t.FirstResponseTime()
	if !ok {
		return ""
	}
	return p.Dur(d)
}

// Resolution is how long t took from its opening to its closing ("" while it is open).
func (p *page) Resolution(t tickets.Ticket) string {
	d, ok := t.ResolutionTime()
	if !ok {
		return ""
	}
	return p.Dur(d)
}

// Local is t as a datetime-local input value in the agent's zone.
func (p *page) Local(t time.Time) string { return t.In(p.loc).Format("2006-01-02T15:04") }

// Size is a byte count for people.
func (p *page) Size(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// Can tells whether the agent's role is at least min on this property.
func (p *page) Can(min string) bool { return p.Call != nil && p.Call.can(min) }

// newPage starts a page for a request; c may be nil (signed out).
func (s *Server) newPage(r *http.Request, c *call, name string) *page {
	pr := s.prefsOf(r)
	if c != nil {
		pr = c.pref
	}
	p := &page{s: s, Name: name, Lang: pr.lang, Langs: languages, loc: pr.loc, now: s.cfg.Now(), Call: c, Asset: s.assets.url, Heartbeat: int(s.cfg.Heartbeat / time.Second)}
	if c != nil {
		p.Session, p.Prop, p.Role, p.CSRF = &c.sess, &c.prop, c.role, c.sess.CSRF
		if s.cfg.Feed != nil && c.prop.Slug != "" {
			p.Live = c.base() + "/events"
		}
	}
	return p
}

// render writes a page. It is rendered to a buffer first: a template error is a clean 500, never
// half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, p *page) {
	var buf bytes.Buffer
	if err := s.pages[p.Name].t.Execute(&buf, p); err != nil {
		s.log.ErrorContext(r.Context(), "web: render", slog.String("page", p.Name), slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage answers with a page saying what went wrong (msg is a text key).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, c *call, status int, msg string, args ...any) {
	p := s.newPage(r, c, "error")
	p.Title = p.T("error_title")
	p.Error = p.T(msg, args...)
	p.Data = status
	s.render(w, r, status, p)
}

// fail maps an error of the domain to its page: not found (another property's anything too),
// a refused value, or a failure of ours, logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	var pe *tickets.ParamError
	var fe *tickets.ForbiddenError
	var mbe *http.MaxBytesError
	var ce *CheckError
	switch {
	case errors.As(err, &fe):
		s.errorPage(w, r, c, http.StatusForbidden, "err_forbidden", fe.Msg)
	case errors.As(err, &ce):
		// What the server answered stays in the log: the page does not show a property's admin
		// the banner of whatever listens at the address they typed.
		s.log.WarnContext(r.Context(), "web: a mailbox does not work", slog.String("stage", ce.Stage), slog.Any("err", ce.Err))
		switch ce.Stage {
		case StageRefused, StageLogin, StageFolder:
			s.errorPage(w, r, c, http.StatusUnprocessableEntity, "err_mailbox_"+ce.Stage)
		default:
			s.errorPage(w, r, c, http.StatusUnprocessableEntity, "err_mailbox_connect")
		}
	case errors.Is(err, ErrAccountInUse):
		s.errorPage(w, r, c, http.StatusForbidden, "err_account_in_use")
	case errors.Is(err, ErrGrantKept):
		s.errorPage(w, r, c, http.StatusUnprocessableEntity, "err_grant_kept", strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrGrantKept.Error()+": "), "mailbox: "), "invalid: "))
	case errors.Is(err, ErrSignInFailed):
		s.errorPage(w, r, c, http.StatusBadGateway, "err_signin_failed", strings.TrimPrefix(err.Error(), ErrSignInFailed.Error()+": "))
	case errors.Is(err, mailbox.ErrNotFound):
		s.errorPage(w, r, c, http.StatusNotFound, "err_not_found")
	case errors.Is(err, mailbox.ErrInvalid), errors.Is(err, mailbox.ErrExists):
		s.errorPage(w, r, c, http.StatusUnprocessableEntity, "err_invalid", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "mailbox: "), "invalid: "))
	case errors.As(err, &pe):
		s.errorPage(w, r, c, http.StatusBadRequest, "err_invalid", pe.Msg)
	case errors.As(err, &mbe):
		s.errorPage(w, r, c, http.StatusRequestEntityTooLarge, "err_too_large", mbe.Limit>>20)
	case errors.Is(err, tickets.ErrNotFound):
		s.errorPage(w, r, c, http.StatusNotFound, "err_not_found")
	case errors.Is(err, tickets.ErrInvalid), errors.Is(err, tickets.ErrExists):
		s.errorPage(w, r, c, http.StatusUnprocessableEntity, "err_invalid", storeMessage(err))
	case errors.Is(err, context.Canceled):
		// the client went away
	default:
		s.log.ErrorContext(r.Context(), "web: request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		s.errorPage(w, r, c, http.StatusInternalServerError, "err_internal")
	}
}

// storeMessage is a store error as an agent reads it: without the package prefix.
func storeMessage(err error) string {
	m := strings.ReplaceAll(err.Error(), "tickets: ", "")
	return strings.TrimPrefix(m, "invalid: ")
}

// assets serves the embedded CSS and script, named by their content's hash so a browser may
// keep them for a year.
type assets struct {
	fs      fs.FS
	version map[string]string
}

func loadAssets(static fs.FS) (*assets, error) {
	a := &assets{fs: static, version: map[string]string{}}
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		a.version[p] = fmt.Sprintf("%x", hashOf(b))[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return a, nil
}

func (a *assets) url(name string) string { return "/static/" + name + "?v=" + a.version[name] }

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Clean(r.URL.Path)
	if _, ok := a.version[name]; !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == a.version[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, a.fs, name)
}

// Event is the name of a log entry's kind in the page's language (the kind itself when it has
// none yet).
func (p *page) Event(kind string) string {
	if _, ok := catalogs["en"]["event_"+kind]; ok {
		return p.T("event_" + kind)
	}
	return strings.ReplaceAll(kind, "-", " ")
}
