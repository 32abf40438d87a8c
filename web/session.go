package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postdesk/postdesk/tickets"
)

const (
	sessionCookie = "pd_session"
	langCookie    = "pd_lang"
	tzCookie      = "pd_tz"
)

// call is a signed-in request on one of the agent's properties.
type call struct {
	sess  Session
	prop  tickets.Property
	agent tickets.Agent // with the role on prop
	role  string
	pref  prefs
}

// base is the path prefix of the property's pages.
func (c *call) base() string { return "/p/" + c.prop.Slug }

// can tells whether the agent's role on the property is at least min.
func (c *call) can(min string) bool { return tickets.RoleRank(c.role) >= tickets.RoleRank(min) }

// handler is a page of a property: it returns its error, which becomes an error page.
type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// session reads the signed-in agent of a request; ok false when there is none.
func (s *Server) session(r *http.Request) (Session, bool, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return Session{}, false, nil
	}
	sess, err := s.cfg.Auth.Session(r.Context(), ck.Value)
	if errors.Is(err, ErrNoSession) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	return sess, true, nil
}

// member wraps a property's page: a session (else the sign-in page, then back here), the
// agent's membership of the property in the path (else 404, like a property that does not
// exist), and on POST the session's CSRF token.
func (s *Server) member(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pref := s.prefsOf(r)
		sess, ok, err := s.session(r)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		if !ok {
			s.toSignin(w, r)
			return
		}
		var mem *Membership
		for i, m := range sess.Memberships {
			if strings.EqualFold(m.Slug, r.PathValue("slug")) {
				mem = &sess.Memberships[i]
			}
		}
		c := &call{sess: sess, pref: pref}
		if mem == nil {
			s.errorPage(w, r, c, http.StatusNotFound, "err_not_found")
			return
		}
		if err := s.enter(r, c, *mem); err != nil {
			s.fail(w, r, c, err)
			return
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			// A form with files: read it (within the upload limit) to find its token.
			if err := s.parseUpload(w, r); err != nil {
				s.fail(w, r, c, err)
				return
			}
			defer r.MultipartForm.RemoveAll()
		}
		if r.Method == http.MethodPost && !s.csrfOK(r, sess) {
			s.errorPage(w, r, c, http.StatusForbidden, "err_csrf")
			return
		}
		if err := h(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	}
}

// enter makes c a call on the property of membership mem.
func (s *Server) enter(r *http.Request, c *call, mem Membership) error {
	p, err := s.store.PropertyByID(r.Context(), mem.PropertyID)
	if err != nil {
		return err
	}
	c.prop, c.role = p, mem.Role
	c.agent = tickets.Agent{ID: c.sess.AgentID, Email: c.sess.Email, Name: c.sess.Name, Role: mem.Role}
	return nil
}

// csrfOK checks the session's token, sent as the form's csrf field or the X-CSRF-Token header.
func (s *Server) csrfOK(r *http.Request, sess Session) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = formValue(r, "csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// formValue reads a field of a urlencoded or multipart form; a multipart body is parsed with
// the upload limit (the handlers that take files parse it first).
func formValue(r *http.Request, key string) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if r.MultipartForm == nil {
			return ""
		}
		if v := r.MultipartForm.Value[key]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return r.PostFormValue(key)
}

// toSignin sends a request without a session to the sign-in page, to come back after.
func (s *Server) toSignin(w http.ResponseWriter, r *http.Request) {
	next := ""
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// safeNext is where to go after signing in: a path of this site only, never another origin
// ("//evil.example", "/\evil.example", "https://…").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) ||
		strings.ContainsAny(next, "\r\n\t\\") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// setSession sets the session cookie: HttpOnly, SameSite=Lax, Secure over TLS.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.cfg.Secure || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// client is the address a request came from, for rate limits.
func client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// The sign-in forms carry a token signed with the server secret and valid for a day, so a form
// can be posted only after it was served by us (with the Origin check, that stops login CSRF)
// without needing a cookie before signing in.
const formTokenTTL = 24 * time.Hour

func (s *Server) formToken() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(s.cfg.Now().Unix()))
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte("web-signin-form"))
	mac.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(append(b[:], mac.Sum(nil)[:16]...))
}

func (s *Server) formTokenOK(tok string) bool {
	if len(tok) != 32 { // 24 bytes; the decoder would skip line breaks in a longer text
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 24 {
		return false
	}
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte("web-signin-form"))
	mac.Write(raw[:8])
	if !hmac.Equal(mac.Sum(nil)[:16], raw[8:]) {
		return false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	age := s.cfg.Now().Sub(at)
	return age >= -time.Minute && age <= formTokenTTL
}

// prefs are the agent's language and time zone: cookies, set on the preferences form (the
// zone also by the page's script from the browser's own), else Accept-Language and UTC.
type prefs struct {
	lang string
	loc  *time.Location
}

func (s *Server) prefsOf(r *http.Request) prefs {
	p := prefs{lang: "", loc: time.UTC}
	if ck, err := r.Cookie(langCookie); err == nil && supported(ck.Value) {
		p.lang = ck.Value
	}
	if p.lang == "" {
		p.lang = fromAcceptLanguage(r.Header.Get("Accept-Language"))
	}
	if ck, err := r.Cookie(tzCookie); err == nil {
		if name, err := url.QueryUnescape(ck.Value); err == nil && validZone(name) {
			if loc, err := time.LoadLocation(name); err == nil {
				p.loc = loc
			}
		}
	}
	return p
}

// validZone keeps a zone name to what IANA names look like, before it reaches LoadLocation.
func validZone(name string) bool {
	if name == "" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_-+", r)) {
			return false
		}
	}
	return true
}

// prefs stores the language and time zone chosen on a page, then goes back.
func (s *Server) prefs(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.session(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if !ok {
		s.toSignin(w, r)
		return
	}
	if !s.csrfOK(r, sess) {
		s.errorPage(w, r, nil, http.StatusForbidden, "err_csrf")
		return
	}
	year := 365 * 24 * 3600
	if l := r.PostFormValue("lang"); supported(l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: year, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure || r.TLS != nil})
	}
	if z := r.PostFormValue("tz"); validZone(z) {
		if _, err := time.LoadLocation(z); err == nil {
			http.SetCookie(w, &http.Cookie{Name: tzCookie, Value: url.QueryEscape(z), Path: "/", MaxAge: year, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure || r.TLS != nil})
		}
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
