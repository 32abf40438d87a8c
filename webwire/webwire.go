// Package webwire adapts auth, live and notify to the interfaces the web inbox defines (web.Auth,
// web.Feed, web.Mailer): wiring, shared by postdesk serve and the page benchmark.
package webwire

import (
	"context"
	"errors"

	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/tickets"
	"github.com/postdesk/postdesk/web"
)

// Auth is auth.Service as the web inbox's Auth.
type Auth struct{ A *auth.Service }

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

func (w Auth) CheckPassword(ctx context.Context, email, password, client string) (int64, error) {
	id, err := w.A.CheckPassword(ctx, email, password, client)
	return id, webErr(err)
}

func (w Auth) NewLink(ctx context.Context, email, client string) (string, string, string, error) {
	t, e, n, err := w.A.NewLink(ctx, email, client)
	return t, e, n, webErr(err)
}

func (w Auth) UseLink(ctx context.Context, token string) (int64, error) {
	id, err := w.A.UseLink(ctx, token)
	return id, webErr(err)
}

func (w Auth) NewSession(ctx context.Context, agentID int64, ua string) (string, web.Session, error) {
	c, s, err := w.A.NewSession(ctx, agentID, ua)
	return c, webSession(s), webErr(err)
}

func (w Auth) Session(ctx context.Context, cookie string) (web.Session, error) {
	s, err := w.A.Session(ctx, cookie)
	return webSession(s), webErr(err)
}

func (w Auth) EndSession(ctx context.Context, cookie string) error {
	return webErr(w.A.EndSession(ctx, cookie))
}

// Feed is live.Feed as the web inbox's Feed.
type Feed struct{ F *live.Feed }

func (w Feed) Subscribe(propertyID int64) (<-chan web.Change, func()) {
	in, cancel := w.F.Subscribe(propertyID)
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

func (w Feed) Heartbeat(ctx context.Context, propertyID, number, agentID int64, typing bool) error {
	return w.F.Heartbeat(ctx, propertyID, number, agentID, typing)
}

func (w Feed) Leave(ctx context.Context, propertyID, number, agentID int64) error {
	return w.F.Leave(ctx, propertyID, number, agentID)
}

func (w Feed) Present(ctx context.Context, propertyID, number int64) ([]web.Presence, error) {
	ps, err := w.F.Present(ctx, propertyID, number)
	out := make([]web.Presence, 0, len(ps))
	for _, p := range ps {
		out = append(out, web.Presence{AgentID: p.AgentID, Email: p.Email, Name: p.Name, Typing: p.Typing})
	}
	return out, err
}

// Mail queues the web's mails: the sign-in link and the mailed export (notify).
type Mail struct {
	N      *notify.Notifier
	D      *db.DB
	Store  *tickets.Store
	Domain string
}

func (m Mail) SignInLink(ctx context.Context, p tickets.Property, to tickets.Address, link, locale string) error {
	return m.N.SignInLink(ctx, p, to, link, locale)
}

func (m Mail) Export(ctx context.Context, p tickets.Property, by tickets.Agent, to, filename string, count int, body []byte) error {
	e := notify.Export{Property: p, Domain: m.Domain, By: by.Email, ByName: by.Name, To: to, Filename: filename,
		Tickets: count, Body: body, Now: m.Store.Now()}
	if m.N != nil {
		e.Templates = m.N.Templates()
	}
	_, err := notify.QueueExport(ctx, m.D, e)
	return err
}
