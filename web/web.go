// Package web is postdesk's web inbox: server-rendered pages (html/template, embedded with the
// binary, no build step) and a little plain JavaScript for selection, shortcuts and live
// updates. It is as thin over tickets as the API is: the list, the actions and their checks are
// the domain's (tickets.ParseQuery, tickets.Op, Store.Apply). Every page works without
// JavaScript for the basic flows.
//
// Routes (all under one prefix per property, so a URL names its property):
//
//	GET  /                       sign-in page, or the first property's inbox when signed in
//	GET  /signin, POST /signin   email and password; POST /signin/link mails a one-time link;
//	GET  /signin/link?token=…    confirms a mailed link (a POST uses it: mail scanners only GET)
//	POST /signout
//	GET  /p/{slug}/              the inbox: views, filters, sorts, search, keyset pages
//	POST /p/{slug}/bulk          an action on the selected tickets
//	GET  /p/{slug}/t/{number}    a ticket; POST …/reply, …/note, …/act, …/presence
//	GET  /p/{slug}/new           compose a ticket
//	GET  /p/{slug}/contacts[/{email}], POST …/{email}/block
//	GET  /p/{slug}/saved-replies, POST …, POST …/{name}   saved replies (managers and above);
//	GET  /p/{slug}/t/{number}/saved-replies/{name}        one filled in for a ticket (JSON), and
//	POST /p/{slug}/t/{number}/saved-reply                 inserted in the reply box without script
//	GET  /p/{slug}/events        Server-Sent Events: the property's changes
//	GET  /p/{slug}/m/{id}/html   a message's HTML, sanitised, for a sandboxed frame
//	GET  /p/{slug}/a/{id}        an attachment
//	GET  /p/{slug}/admin/…       the admin pages (admin.go): property, agents, departments,
//	                             mailboxes; their POSTs change them
//	GET  /admin/oauth/callback   where Google and Microsoft send the admin back (admin_oauth.go)
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// Session is a signed-in agent, as the Auth the web is given knows it.
type Session struct {
	AgentID     int64
	Email, Name string
	CSRF        string
	Memberships []Membership
}

// Membership is one property the agent works on, with their role there.
type Membership struct {
	PropertyID int64
	Slug, Name string
	Role       string
}

// Errors an Auth returns, which the pages tell apart.
var (
	ErrBadCredentials = errors.New("web: bad credentials")
	ErrNoSession      = errors.New("web: no session")
	ErrBadLink        = errors.New("web: bad link")
	ErrUnknownAgent   = errors.New("web: unknown agent")
)

// RateLimited is an Auth's refusal for too many attempts.
type RateLimited struct{ RetryAfter time.Duration }

func (e RateLimited) Error() string { return fmt.Sprintf("web: rate limited for %s", e.RetryAfter) }

// Auth signs agents in and keeps their sessions (the auth package, adapted in cmd/postdesk).
type Auth interface {
	CheckPassword(ctx context.Context, email, password, client string) (agentID int64, err error)
	NewLink(ctx context.Context, email, client string) (token, agentEmail, agentName string, err error)
	UseLink(ctx context.Context, token string) (agentID int64, err error)
	NewSession(ctx context.Context, agentID int64, userAgent string) (cookie string, s Session, err error)
	Session(ctx context.Context, cookie string) (Session, error)
	EndSession(ctx context.Context, cookie string) error
}

// Change is one change of a ticket of the property subscribed to.
type Change struct {
	Ticket int64  // its number
	Kind   string // "ticket", "presence" or "resync" (changes were dropped: reload)
}

// Presence is an agent who has a ticket open.
type Presence struct {
	AgentID     int64
	Email, Name string
	Typing      bool
}

// Feed is the change feed and presence (the live package, adapted in cmd/postdesk); it comes
// from the database, so several instances see each other's changes.
type Feed interface {
	Subscribe(propertyID int64) (changes <-chan Change, cancel func())
	Heartbeat(ctx context.Context, propertyID, number, agentID int64, typing bool) error
	Leave(ctx context.Context, propertyID, number, agentID int64) error
	Present(ctx context.Context, propertyID, number int64) ([]Presence, error)
}

// Mailer queues the mails the web asks for (notify, adapted in cmd/postdesk).
type Mailer interface {
	// SignInLink mails a sign-in link to an agent, from property p.
	SignInLink(ctx context.Context, p tickets.Property, to tickets.Address, link, locale string) error
	// Export mails an export, as a JSON attachment, to an agent of p.
	Export(ctx context.Context, p tickets.Property, by tickets.Agent, to string, filename string, count int, body []byte) error
}

// MailLocales are the languages postdesk's mails are written in (templates.Set).
type MailLocales interface {
	Locales() []string
	CheckLocale(locale string) error
}

// Config is what the web inbox works with.
type Config struct {
	Store *tickets.Store
	Auth  Auth
	Feed  Feed   // nil: no live updates
	Mail  Mailer // nil: no sign-in links, no mailed exports
	// Mailboxes are the IMAP mailboxes and the OAuth2 providers of the admin pages; nil: the
	// mailboxes page says the server has none.
	Mailboxes Mailboxes
	// Locales are the languages of the mail templates (templates.Set), offered and checked on
	// the property's settings page; nil: the locale is not offered.
	Locales MailLocales
	// BaseURL is the inbox's address as agents reach it (http://127.0.0.1:8080): sign-in links
	// point there. Never taken from a request's Host, which a client chooses.
	BaseURL string
	// Domain is the mail domain (Message-IDs, the forwarding addresses).
	Domain string
	// Secret signs the sign-in form's token.
	Secret []byte
	// Secure sets the Secure flag on cookies (the inbox is served over TLS).
	Secure bool
	// MaxUpload is the most attachment bytes one reply, note or ticket may carry (10 MiB).
	MaxUpload int64
	Kick      func() // wakes the outbox sender after mail was queued; may be nil
	Log       *slog.Logger
	Now       func() time.Time
	// Heartbeat is how often a ticket page says it is still open (10 s).
	Heartbeat time.Duration
	// Ping is how often an event stream says it is alive, and checks that its session still is
	// (25 s).
	Ping time.Duration
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Server is the web inbox, an http.Handler.
type Server struct {
	cfg    Config
	store  *tickets.Store
	log    *slog.Logger
	mux    *http.ServeMux
	pages  map[string]*pageTemplate
	assets *assets
	csrf   *http.CrossOriginProtection
	// done ends the event streams (Close).
	done      chan struct{}
	closeOnce sync.Once
}

// New returns the web inbox. A template that does not parse is an error here, at start.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Auth == nil {
		return nil, errors.New("web: a store and an auth are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 10 << 20
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.Ping <= 0 {
		cfg.Ping = 25 * time.Second
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Log, mux: http.NewServeMux(), csrf: http.NewCrossOriginProtection(), done: make(chan struct{})}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	if s.assets, err = loadAssets(static); err != nil {
		return nil, err
	}
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.home)
	m.HandleFunc("GET /signin", s.signinPage)
	m.HandleFunc("POST /signin", s.signin)
	m.HandleFunc("POST /signin/link", s.requestLink)
	m.HandleFunc("GET /signin/link", s.linkPage)
	m.HandleFunc("POST /signin/link/use", s.useLink)
	m.HandleFunc("POST /signout", s.signout)
	m.HandleFunc("POST /prefs", s.prefs)
	m.Handle("GET /static/", http.StripPrefix("/static/", s.assets))
	p := "/p/{slug}"
	m.HandleFunc("GET "+p+"/{$}", s.member(s.inbox))
	m.HandleFunc("GET "+p, s.member(func(w http.ResponseWriter, r *http.Request, c *call) error {
		http.Redirect(w, r, c.base()+"/", http.StatusMovedPermanently)
		return nil
	}))
	m.HandleFunc("POST "+p+"/bulk", s.member(s.bulk))
	m.HandleFunc("GET "+p+"/t/{number}", s.member(s.ticket))
	m.HandleFunc("POST "+p+"/t/{number}/reply", s.member(s.reply))
	m.HandleFunc("POST "+p+"/t/{number}/note", s.member(s.note))
	m.HandleFunc("POST "+p+"/t/{number}/act", s.member(s.act))
	m.HandleFunc("POST "+p+"/t/{number}/presence", s.member(s.presence))
	m.HandleFunc("GET "+p+"/new", s.member(s.composePage))
	m.HandleFunc("POST "+p+"/new", s.member(s.compose))
	m.HandleFunc("GET "+p+"/contacts", s.member(s.contacts))
	m.HandleFunc("GET "+p+"/contacts/{email}", s.member(s.contact))
	m.HandleFunc("POST "+p+"/contacts/{email}/block", s.member(s.block))
	m.HandleFunc("GET "+p+"/tags", s.member(s.tags))
	m.HandleFunc("GET "+p+"/saved-replies", s.member(s.savedRepliesPage))
	m.HandleFunc("POST "+p+"/saved-replies", s.member(s.addSavedReply))
	m.HandleFunc("POST "+p+"/saved-replies/{name}", s.member(s.changeSavedReply))
	m.HandleFunc("GET "+p+"/t/{number}/saved-replies/{name}", s.member(s.renderedSavedReply))
	m.HandleFunc("POST "+p+"/t/{number}/saved-reply", s.member(s.insertSavedReply))
	m.HandleFunc("GET "+p+"/events", s.member(s.events))
	m.HandleFunc("GET "+p+"/m/{id}/html", s.member(s.messageHTML))
	m.HandleFunc("GET "+p+"/a/{id}", s.member(s.attachment))
	s.adminRoutes(p)
	m.HandleFunc("/", s.notFound)
}

// pageCSP lets a page run only its own script and style, show its own images and frames, and
// post only to itself; no page may be framed.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// ServeHTTP implements http.Handler: security headers on every answer, cross-origin POSTs
// refused (Sec-Fetch-Site and Origin, net/http's CrossOriginProtection) before any handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if err := s.csrf.Check(r); err != nil {
		s.errorPage(w, r, nil, http.StatusForbidden, "err_cross_origin")
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, nil, http.StatusNotFound, "err_not_found")
}
