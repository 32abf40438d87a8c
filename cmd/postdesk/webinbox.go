package main

import (
	"context"
	"errors"
	"net/http"
	"strings"


	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/tickets"
	"github.com/postdesk/postdesk/web"
)

// This file adapts auth, live and notify to the interfaces the web inbox defines.

type webAuth struct{ a *auth.Service }

func webSession(s auth.Session) web.Session {
	out := web.Session{AgentID: s.AgentID, Email: s.Email, Name: s.Name, CSRF: s.CSRF}
	for _, m := range s.Memberships {
		out.Memberships = append(out.Memberships, web.Membership{PropertyID: m.PropertyID, Slug: m.Slug, Name: m.Name, Role: m.Role})
	}
	return out
}

// webErr turns auth's errors into the web's.
func webErr(err error) error {
	var rl *auth.RateLimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		return web.RateLimited{RetryAfter: rl.RetryAfter}
	case errors.Is(err, auth.ErrBadCredentials):
		return web.ErrBadCredentials
	case errors.Is(err, auth.ErrNoSession):
		return web.ErrNoSession
	case errors.Is(err, auth.ErrBadLink):
		return web.ErrBadLink
	case errors.Is(err, auth.ErrNotFound):
		return web.ErrUnknownAgent
	}
	return err
}

func (w webAuth) CheckPassword(ctx context.Context, email, password, client string) (int64, error) {
	id, err := w.a.CheckPassword(ctx, email, password, client)
	return id, webErr(err)
}

func (w webAuth) NewLink(ctx context.Context, email, client string) (string, string, string, error) {
	t, e, n, err := w.a.NewLink(ctx, email, client)
	return t, e, n, webErr(err)
}

func (w webAuth) UseLink(ctx context.Context, token string) (int64, error) {
	id, err := w.a.UseLink(ctx, token)
	return id, webErr(err)
}

func (w webAuth) NewSession(ctx context.Context, agentID int64, ua string) (string, web.Session, error) {
	c, s, err := w.a.NewSession(ctx, agentID, ua)
	return c, webSession(s), webErr(err)
}

func (w webAuth) Session(ctx context.Context, cookie string) (web.Session, error) {
	s, err := w.a.Session(ctx, cookie)
	return webSession(s), webErr(err)
}

func (w webAuth) EndSession(ctx context.Context, cookie string) error {
	return webErr(w.a.EndSession(ctx, cookie))
}

type webFeed struct{ f *live.Feed }

func (w webFeed) Subscribe(propertyID int64) (<-chan web.Change, func()) {
	in, cancel := w.f.Subscribe(propertyID)
	out := make(chan web.Change, 16)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-done:
				return
			case c, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- web.Change{Ticket: c.Ticket, Kind: c.Kind}:
				case <-done:
					return
				}
			}
		}
	}()
	var once bool
	return out, func() {
		if !once {
			once = true
			close(done)
			cancel()
		}
	}
}

func (w webFeed) Heartbeat(ctx context.Context, propertyID, number, agentID int64, typing bool) error {
	return w.f.Heartbeat(ctx, propertyID, number, agentID, typing)
}

func (w webFeed) Leave(ctx context.Context, propertyID, number, agentID int64) error {
	return w.f.Leave(ctx, propertyID, number, agentID)
}

func (w webFeed) Present(ctx context.Context, propertyID, number int64) ([]web.Presence, error) {
	ps, err := w.f.Present(ctx, propertyID, number)
	out := make([]web.Presence, 0, len(ps))
	for _, p := range ps {
		out = append(out, web.Presence{AgentID: p.AgentID, Email: p.Email, Name: p.Name, Typing: p.Typing})
	}
	return out, err
}

// webMail queues the web's mails: the sign-in link (notify) and the mailed export.
type webMail struct {
	n      *notify.Notifier
	d      *db.DB
	store  *tickets.Store
	domain string
}

func (m webMail) SignInLink(ctx context.Context, p tickets.Property, to tickets.Address, link, locale string) error {
	return m.n.SignInLink(ctx, p, to, link, locale)
}

func (m webMail) Export(ctx context.Context, p tickets.Property, by tickets.Agent, to, filename string, count int, body []byte) error {
	_, err := notify.QueueExport(ctx, m.d, notify.Export{Property: p, Domain: m.domain, By: by.Email, To: to, Filename: filename,
		Tickets: count, Body: body, Now: m.store.Now()})
	return err
}

// webURL is where agents reach the inbox: web_url, else the HTTP listen address.
func webURL(cfg *config.Config, addr string) string {
	if cfg.WebURL != "" {
		return strings.TrimRight(cfg.WebURL, "/")
	}
	return "http://" + addr
}

// site serves the API under /api/, /healthz and /metrics, and the web inbox everywhere else.
func site(apiHandler, webHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("/metrics", apiHandler)
	mux.Handle("/", webHandler)
	return mux
}
