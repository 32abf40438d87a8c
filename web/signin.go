package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

// signinData is the sign-in page's.
type signinData struct {
	Email, Next, Token string
	Links              bool // sign-in links can be mailed
	// AskLink: the page asks for a sign-in link by mail (one form, email only), not for the
	// password (one form, email and password).
	AskLink bool
}

// home is the inbox of the agent's first property, or the sign-in page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.session(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if !ok {
		s.showSignin(w, r, http.StatusOK, "", "", "")
		return
	}
	if len(sess.Memberships) == 0 {
		s.errorPage(w, r, nil, http.StatusForbidden, "err_no_property")
		return
	}
	http.Redirect(w, r, "/p/"+sess.Memberships[0].Slug+"/", http.StatusSeeOther)
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok, err := s.session(r); err == nil && ok {
		if next == "" {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.showSignin(w, r, http.StatusOK, "", next, "")
}

func (s *Server) showSignin(w http.ResponseWriter, r *http.Request, status int, email, next, errKey string, args ...any) {
	s.showSigninForm(w, r, status, false, email, next, errKey, args...)
}

// showSigninForm is the sign-in page: the password form, or (askLink) the form asking for a link.
func (s *Server) showSigninForm(w http.ResponseWriter, r *http.Request, status int, askLink bool, email, next, errKey string, args ...any) {
	p := s.newPage(r, nil, "signin")
	p.Title = p.T("signin_title")
	if askLink {
		p.Title = p.T("link_title")
	}
	if errKey != "" {
		p.Error = p.T(errKey, args...)
	}
	p.Data = signinData{Email: email, Next: next, Token: s.formToken(), Links: s.cfg.Mail != nil, AskLink: askLink}
	s.render(w, r, status, p)
}

// signin checks an email and password and starts a session.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	next := safeNext(r.PostFormValue("next"))
	if !s.formTokenOK(r.PostFormValue("token")) {
		s.showSignin(w, r, http.StatusForbidden, email, next, "err_form_expired")
		return
	}
	password := r.PostFormValue("password")
	if email == "" || password == "" {
		s.showSignin(w, r, http.StatusBadRequest, email, next, "err_signin_missing")
		return
	}
	id, err := s.cfg.Auth.CheckPassword(r.Context(), email, password, client(r))
	var rl RateLimited
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", retryAfter(rl.RetryAfter))
		s.showSignin(w, r, http.StatusTooManyRequests, email, next, "err_rate_limited", minutes(rl.RetryAfter))
		return
	case errors.Is(err, ErrBadCredentials):
		s.showSignin(w, r, http.StatusUnauthorized, email, next, "err_bad_credentials")
		return
	case err != nil:
		s.fail(w, r, nil, err)
		return
	}
	s.startSession(w, r, id, next)
}

// startSession signs agent id in and goes to next, or to their first property's inbox.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, id int64, next string) {
	cookie, sess, err := s.cfg.Auth.NewSession(r.Context(), id, r.UserAgent())
	if errors.Is(err, ErrUnknownAgent) {
		s.errorPage(w, r, nil, http.StatusForbidden, "err_no_property")
		return
	}
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	s.setSession(w, r, cookie, 0)
	s.log.InfoContext(r.Context(), "web: signed in", slog.String("agent", sess.Email), slog.String("client", client(r)))
	if next == "" && len(sess.Memberships) > 0 {
		next = "/p/" + sess.Memberships[0].Slug + "/"
	}
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// requestLink mails a one-time sign-in link. The answer is the same whether or not the address
// is an agent's: the page never tells who works here.
func (s *Server) requestLink(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	next := safeNext(r.PostFormValue("next"))
	if !s.formTokenOK(r.PostFormValue("token")) {
		s.showSigninForm(w, r, http.StatusForbidden, true, email, next, "err_form_expired")
		return
	}
	if s.cfg.Mail == nil {
		s.showSigninForm(w, r, http.StatusServiceUnavailable, true, email, next, "err_no_links")
		return
	}
	if !tickets.ValidEmail(email) {
		s.showSigninForm(w, r, http.StatusBadRequest, true, email, next, "err_signin_missing")
		return
	}
	token, agentEmail, name, err := s.cfg.Auth.NewLink(r.Context(), email, client(r))
	var rl RateLimited
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", retryAfter(rl.RetryAfter))
		s.showSigninForm(w, r, http.StatusTooManyRequests, true, email, next, "err_rate_limited", minutes(rl.RetryAfter))
		return
	case errors.Is(err, ErrUnknownAgent):
		s.log.InfoContext(r.Context(), "web: sign-in link asked for an unknown address", slog.String("email", email), slog.String("client", client(r)))
	case err != nil:
		s.fail(w, r, nil, err)
		return
	default:
		if err := s.mailLink(r, token, agentEmail, name, next); err != nil {
			s.fail(w, r, nil, err)
			return
		}
	}
	p := s.newPage(r, nil, "linksent")
	p.Title = p.T("link_sent_title")
	p.Data = email
	s.render(w, r, http.StatusOK, p)
}

// mailLink queues the link mail, from the agent's first property.
func (s *Server) mailLink(r *http.Request, token, email, name, next string) error {
	props, err := s.store.AgentProperties(r.Context(), email)
	if err != nil {
		return err
	}
	if len(props) == 0 {
		return nil
	}
	link := strings.TrimRight(s.cfg.BaseURL, "/") + "/signin/link?token=" + url.QueryEscape(token)
	if next != "" {
		link += "&next=" + url.QueryEscape(next)
	}
	lang := s.prefsOf(r).lang
	if err := s.cfg.Mail.SignInLink(r.Context(), props[0], tickets.Address{Email: email, Name: name}, link, lang); err != nil {
		return err
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	return nil
}

// linkPage asks for a sign-in link by mail; with a token, it asks to confirm the mailed link: a
// GET never uses it, so a mail scanner following links cannot spend it.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("token") == "" {
		s.showSigninForm(w, r, http.StatusOK, true, "", safeNext(r.URL.Query().Get("next")), "")
		return
	}
	p := s.newPage(r, nil, "link")
	p.Title = p.T("link_title")
	p.Data = signinData{Token: r.URL.Query().Get("token"), Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, p)
}

func (s *Server) useLink(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	id, err := s.cfg.Auth.UseLink(r.Context(), r.PostFormValue("token"))
	if errors.Is(err, ErrBadLink) {
		s.showSignin(w, r, http.StatusUnauthorized, "", "", "err_bad_link")
		return
	}
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	s.startSession(w, r, id, safeNext(r.PostFormValue("next")))
}

// signout ends the session (a POST with its CSRF token: a link elsewhere cannot sign anyone out).
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.session(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if ok {
		if !s.csrfOK(r, sess) {
			s.errorPage(w, r, nil, http.StatusForbidden, "err_csrf")
			return
		}
		ck, _ := r.Cookie(sessionCookie)
		if err := s.cfg.Auth.EndSession(r.Context(), ck.Value); err != nil {
			s.fail(w, r, nil, err)
			return
		}
	}
	s.setSession(w, r, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func retryAfter(d time.Duration) string {
	return itoa(int((d + time.Second - 1) / time.Second))
}

func minutes(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }
