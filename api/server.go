// Package api is postdesk's HTTP API, versioned under /api/v1: the inbox of each property for the
// agents holding one of its API tokens, the public contact form, /healthz and /metrics. Every
// route is in one table (routes), which README.md in this folder documents; a test keeps the two
// the same.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Config is what the API works with.
type Config struct {
	Store *tickets.Store
	// Domain is the mail domain: forwarding addresses (<slug>@Domain) and minted Message-IDs.
	Domain string
	// Deliver takes contact form messages into the intake pipeline, through the contract mail
	// comes in by; nil: the form answers 503.
	Deliver inbound.Receiver
	// Kick wakes the outbox sender after the API queued a mail (an export); may be nil.
	Kick func()
	// Metrics, when set, is served on GET /metrics.
	Metrics http.Handler
	// Observe, when set, is told about every request: its route pattern, status and duration.
	Observe func(route string, status int, took time.Duration)
	Log     *slog.Logger
	// FormPerMinute is how many contact form posts one client address may make a minute, in a
	// burst of as many (default 5).
	FormPerMinute int
	// MaxUpload is the most attachment bytes (decoded) one reply, note or new ticket may carry
	// (default 10 MiB).
	MaxUpload int64
	// Now is the clock of the form's rate limit (default time.Now).
	Now func() time.Time
	// Mailboxes are the IMAP mailboxes, paused, resumed and removed by admins; nil: those routes
	// answer 503.
	Mailboxes Mailboxes
	// Templates renders the mails the API queues (an export) and knows the locales a property
	// may have; nil: the built-in templates.
	Templates *templates.Set
}

// Server is the HTTP API. It is an http.Handler, safe for concurrent use.
type Server struct {
	cfg    Config
	store  *tickets.Store
	log    *slog.Logger
	mux    *http.ServeMux
	routes []Route
	forms  *limiter // per client address (IPv6: per /64)
	// formNets and formAll bound the form per network (/24, /48) and for the whole server.
	formNets, formAll *limiter
}

// Route is one endpoint: a method, a path pattern (net/http syntax) and the weakest role allowed.
type Route struct {
	Method string
	Path   string
	// Role is "public" (no token), or the weakest agent role that may call it: support, manager,
	// admin or owner.
	Role string
	h    http.HandlerFunc
}

// Public marks a route that needs no token.
const Public = "public"

const base = "/api/v1/properties/{slug}"

// New returns the API over cfg.Store.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.FormPerMinute <= 0 {
		cfg.FormPerMinute = 5
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 10 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Log, mux: http.NewServeMux()}
	s.forms = newLimiter(cfg.FormPerMinute, time.Minute, cfg.Now)
	s.formNets = newLimiter(4*cfg.FormPerMinute, time.Minute, cfg.Now)
	s.formAll = newLimiter(60*cfg.FormPerMinute, time.Minute, cfg.Now)
	const support, manager, admin, owner = "support", "manager", "admin", "owner"
	s.routes = []Route{
		{"GET", "/healthz", Public, s.healthz},
		{"GET", base, support, s.agent(s.getProperty)},
		{"GET", base + "/tickets", support, s.agent(s.listTickets)},
		{"POST", base + "/tickets", support, s.agent(s.createTicket)},
		{"POST", base + "/tickets/bulk", support, s.agent(s.bulk)},
		{"GET", base + "/tickets/{number}", support, s.agent(s.getTicket)},
		{"DELETE", base + "/tickets/{number}", support, s.agent(s.trash)},
		{"POST", base + "/tickets/{number}/restore", support, s.agent(s.restore)},
		{"DELETE", base + "/tickets/{number}/purge", manager, s.agent(s.purge)},
		{"POST", base + "/tickets/{number}/assign", support, s.agent(s.assign)},
		{"POST", base + "/tickets/{number}/unassign", support, s.agent(s.unassign)},
		{"POST", base + "/tickets/{number}/priority", support, s.agent(s.priority)},
		{"POST", base + "/tickets/{number}/tags", support, s.agent(s.tags)},
		{"POST", base + "/tickets/{number}/close", support, s.agent(s.close)},
		{"POST", base + "/tickets/{number}/reopen", support, s.agent(s.reopen)},
		{"POST", base + "/tickets/{number}/snooze", support, s.agent(s.snooze)},
		{"POST", base + "/tickets/{number}/unsnooze", support, s.agent(s.unsnooze)},
		{"POST", base + "/tickets/{number}/read", support, s.agent(s.read)},
		{"POST", base + "/tickets/{number}/unread", support, s.agent(s.unread)},
		{"POST", base + "/tickets/{number}/spam", support, s.agent(s.spam)},
		{"POST", base + "/tickets/{number}/unspam", support, s.agent(s.unspam)},
		{"POST", base + "/tickets/{number}/reply", support, s.agent(s.reply)},
		{"POST", base + "/tickets/{number}/note", support, s.agent(s.note)},
		{"POST", base + "/tickets/{number}/merge", support, s.agent(s.merge)},
		{"GET", base + "/messages/{id}/html", support, s.agent(s.messageHTML)},
		{"GET", base + "/attachments/{id}", support, s.agent(s.attachment)},
		{"GET", base + "/ratings", support, s.agent(s.ratings)},
		{"GET", base + "/contacts", support, s.agent(s.contacts)},
		{"GET", base + "/contacts/{email}", support, s.agent(s.contact)},
		{"POST", base + "/contacts/{email}/block", manager, s.agent(s.block)},
		{"POST", base + "/contacts/{email}/unblock", manager, s.agent(s.unblock)},
		{"POST", base + "/export", manager, s.agent(s.export)},
		{"GET", base + "/agents", admin, s.agent(s.listAgents)},
		{"POST", base + "/agents", admin, s.agent(s.addAgent)},
		{"GET", base + "/departments", admin, s.agent(s.listDepartments)},
		{"POST", base + "/departments", admin, s.agent(s.addDepartment)},
		{"DELETE", base + "/agents/{email}", admin, s.agent(s.removeAgent)},
		{"PATCH", base + "/departments/{name}", admin, s.agent(s.renameDepartment)},
		{"DELETE", base + "/departments/{name}", admin, s.agent(s.removeDepartment)},
		{"DELETE", base + "/departments/{name}/members/{email}", admin, s.agent(s.removeDepartmentMember)},
		{"GET", base + "/mailboxes", admin, s.agent(s.listMailboxes)},
		{"POST", base + "/mailboxes/{id}/pause", admin, s.agent(s.changeMailbox(func(m Mailboxes) func(context.Context, int64, int64) error { return m.Pause }))},
		{"POST", base + "/mailboxes/{id}/resume", admin, s.agent(s.changeMailbox(func(m Mailboxes) func(context.Context, int64, int64) error { return m.Resume }))},
		{"DELETE", base + "/mailboxes/{id}", admin, s.agent(s.changeMailbox(func(m Mailboxes) func(context.Context, int64, int64) error { return m.Remove }))},
		{"PATCH", base, admin, s.agent(s.setProperty)},
		{"DELETE", base, owner, s.agent(s.removeProperty)},
		{"GET", base + "/texts", admin, s.agent(s.listTexts)},
		{"PUT", base + "/texts/{kind}/{locale}", admin, s.agent(s.setText)},
		{"DELETE", base + "/texts/{kind}/{locale}", admin, s.agent(s.deleteText)},
		{"GET", base + "/saved-replies", support, s.agent(s.listSavedReplies)},
		{"POST", base + "/saved-replies", manager, s.agent(s.addSavedReply)},
		{"GET", base + "/saved-replies/{name}", support, s.agent(s.getSavedReply)},
		{"PUT", base + "/saved-replies/{name}", manager, s.agent(s.changeSavedReply)},
		{"DELETE", base + "/saved-replies/{name}", manager, s.agent(s.removeSavedReply)},
		{"GET", base + "/system-mail", admin, s.agent(s.listSystemMail)},
		{"GET", base + "/system-mail/{id}", admin, s.agent(s.systemMail)},
		{"GET", base + "/system-mail/{id}/raw", admin, s.agent(s.systemMailRaw)},
		{"POST", base + "/form", Public, s.form},
		{"OPTIONS", base + "/form", Public, s.formPreflight},
	}
	if cfg.Metrics != nil {
		s.routes = append(s.routes, Route{"GET", "/metrics", Public, cfg.Metrics.ServeHTTP})
	}
	for i := range s.routes {
		rt := &s.routes[i]
		h := rt.h
		if rt.Role != Public {
			h = s.authorize(rt.Role, h)
		}
		h = s.checkText(h)
		s.mux.HandleFunc(rt.Method+" "+rt.Path, h)
	}
	s.mux.HandleFunc("/", s.fallback)
	return s
}

// Routes lists the endpoints, in the order of the reference.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	if s.cfg.Observe != nil {
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		s.cfg.Observe(route, rec.status, time.Since(start))
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// fallback answers what no route matches: 405 with Allow when the path exists for other methods,
// else 404 — in JSON, like every other error.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "DELETE", "PUT", "PATCH"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, apiErr(http.StatusMethodNotAllowed, codeNotAllowed, "", "%s is not allowed here: %s", r.Method, strings.Join(allow, ", ")))
		return
	}
	s.writeError(w, r, apiErr(http.StatusNotFound, codeNotFound, "", "no such endpoint: see the API reference"))
}

// healthz answers 200 when the database answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	// A database that hangs is as unhealthy as one that refuses: the answer comes within a second.
	err := db.Bounded(r.Context(), time.Second, func(ctx context.Context) error { return s.store.DB().PingContext(ctx) },
		errors.New("no answer within 1s"))
	if err != nil {
		s.log.WarnContext(r.Context(), "api: health check: database unreachable", slog.Any("err", err))
		s.writeError(w, r, apiErr(http.StatusServiceUnavailable, codeUnavailable, "", "the database does not answer"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(s.store.DB().Dialect)})
}

// checkText refuses, before anything else, a request whose query or path holds text no engine
// stores alike.
func (s *Server) checkText(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequestText(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		next(w, r)
	}
}
