package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/seal"
	"github.com/postdesk/postdesk/tickets"
)

// "Connect Google / Microsoft 365": the authorization-code flow with PKCE (RFC 7636), the
// provider redirecting the admin's browser back to postdesk itself, to oauthCallback under
// Config.BaseURL (web_url): one address for every property, registered once with the provider.
//
// What the flow must remember between the two requests (the state, the PKCE verifier, the
// property, what to add) is kept in a cookie sealed under the server secret and bound to the
// admin's session: another session, or another browser, cannot open it, and it lasts
// flowTTL. It is single use: the callback clears it before anything else, whatever the outcome,
// and the provider takes each code once. No table holds it, so any instance serving the
// database may take the callback.

// oauthCallback is the redirect URI: Config.BaseURL + oauthCallback is what to register.
const oauthCallback = "/admin/oauth/callback"

const (
	flowCookie = "pd_oauth"
	flowTTL    = 15 * time.Minute
)

// flow is an OAuth2 sign-in started on the mailboxes page.
type flow struct {
	State, Verifier   string
	Provider, Account string
	Agent, Property   int64
	Expires           int64 // Unix seconds
	// Mailbox is the mailbox signing in again; 0: the sign-in adds New.
	Mailbox int64
	New     *mailbox.New `json:",omitempty"`
}

// RedirectURI is the address to register with the providers.
func (s *Server) RedirectURI() string { return strings.TrimRight(s.cfg.BaseURL, "/") + oauthCallback }

func (s *Server) flowKey() seal.Key { return seal.NewKey(s.cfg.Secret, "postdesk web oauth flow") }

// flowAAD binds a sealed flow to the session it was started in.
func flowAAD(r *http.Request) []byte {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256([]byte(ck.Value))
	return append([]byte("postdesk oauth flow v1\x00"), sum[:]...)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// connect starts the sign-in of a new mailbox: the provider and the account chosen, the
// folder and what to do after import.
func (s *Server) connect(w http.ResponseWriter, r *http.Request, c *call) error {
	boxes := s.mailboxes(w, r, c)
	if boxes == nil {
		return nil
	}
	provider := r.PostFormValue("provider")
	if !slices.Contains(boxes.Providers(), provider) {
		return &tickets.ParamError{Field: "provider", Msg: "this server has no app registered with " + provider}
	}
	n, err := mailboxForm(r)
	if err != nil {
		return err
	}
	n.PropertyID = c.prop.ID
	// The provider's IMAP server unless another is given (a proxy, or a test's server).
	if n.Host = strings.TrimSpace(r.PostFormValue("host")); n.Host != "" {
		n.TLS = r.PostFormValue("tls")
		if v := strings.TrimSpace(r.PostFormValue("port")); v != "" {
			if n.Port, err = strconv.Atoi(v); err != nil {
				return &tickets.ParamError{Field: "port", Msg: "the port is a number"}
			}
		}
	}
	account := strings.TrimSpace(r.PostFormValue("account"))
	signIn, imapUser := mailbox.SplitSharedUser(account)
	if !tickets.ValidEmail(signIn) || imapUser == "" {
		return &tickets.ParamError{Field: "account", Msg: `the account is an email address (for a shared mailbox of Microsoft 365: ACCOUNT\SHARED)`}
	}
	// Checked now, before the admin goes to the provider (on a stand-in for the provider's
	// server, which Mailboxes fills in): the same checks run again on return.
	check := n
	if err := check.UseOAuth("provider.invalid:993", imapUser); err != nil {
		return err
	}
	n.Username = imapUser
	// Refused now rather than after the provider: the same check runs again on return.
	if err := boxes.MayConnect(r.Context(), c.prop.ID, provider, signIn); err != nil {
		return err
	}
	return s.startSignIn(w, r, c, flow{Provider: provider, Account: signIn, New: &n})
}

// startSignIn seals the flow into its cookie and sends the browser to the provider: by a page
// that goes on by itself (a redirect answering a form would be refused by the page's CSP
// form-action), with a link for a browser that does not.
func (s *Server) startSignIn(w http.ResponseWriter, r *http.Request, c *call, f flow) error {
	f.State, f.Verifier, f.Agent, f.Property = randomToken(), randomToken(), c.agent.ID, c.prop.ID
	f.Expires = s.cfg.Now().Add(flowTTL).Unix()
	u, err := s.cfg.Mailboxes.AuthURL(f.Provider, s.RedirectURI(), f.State, f.Verifier, f.Account)
	if err != nil {
		return &tickets.ParamError{Field: "provider", Msg: storeMessage(err)}
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return err
	}
	sealed, err := s.flowKey().Seal(plain, flowAAD(r))
	if err != nil {
		return err
	}
	s.setFlow(w, r, base64.RawURLEncoding.EncodeToString(sealed), int(flowTTL/time.Second))
	p := s.newPage(r, c, "oauth")
	p.Title = p.T("oauth_continue_title")
	p.Data = oauthData{URL: u, Provider: f.Provider}
	s.render(w, r, http.StatusOK, p)
	return nil
}

type oauthData struct{ URL, Provider string }

func (s *Server) setFlow(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: value, Path: oauthCallback, MaxAge: maxAge, HttpOnly: true,
		Secure: s.cfg.Secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// oauthCallback is where the provider sends the browser back: the flow's cookie opened with the
// session it was started in and cleared, the state compared, the agent still an admin of the
// property; then the code is exchanged and the grant kept, and the mailbox added or polled again.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	sess, ok, err := s.session(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if !ok {
		s.toSignin(w, r)
		return
	}
	base := &call{sess: sess, pref: s.prefsOf(r)}
	ck, err := r.Cookie(flowCookie)
	s.setFlow(w, r, "", -1)
	var f flow
	if err == nil {
		err = s.openFlow(r, ck.Value, &f)
	}
	q := r.URL.Query()
	if err != nil || f.Agent != sess.AgentID || s.cfg.Now().Unix() > f.Expires ||
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		s.log.WarnContext(r.Context(), "web: an OAuth2 redirect that matches no sign-in of this session", slog.String("agent", sess.Email), slog.String("client", client(r)))
		s.errorPage(w, r, base, http.StatusBadRequest, "err_oauth_state")
		return
	}
	c := base
	idx := slices.IndexFunc(sess.Memberships, func(m Membership) bool { return m.PropertyID == f.Property })
	if idx < 0 {
		s.errorPage(w, r, base, http.StatusNotFound, "err_not_found")
		return
	}
	if err := s.enter(r, c, sess.Memberships[idx]); err != nil {
		s.fail(w, r, c, err)
		return
	}
	if !c.can("admin") || s.cfg.Mailboxes == nil {
		s.errorPage(w, r, c, http.StatusForbidden, "err_role", "admin")
		return
	}
	if e := q.Get("error"); e != "" || q.Get("code") == "" {
		s.changed(w, r, c, "mailboxes", "notice_oauth_declined", firstLine(e+" "+q.Get("error_description")))
		return
	}
	in := SignIn{Provider: f.Provider, Redirect: s.RedirectURI(), Code: q.Get("code"), Verifier: f.Verifier,
		Account: f.Account, PropertyID: c.prop.ID, New: f.New}
	if f.New == nil {
		again, err := s.mailboxOf(r.Context(), s.cfg.Mailboxes, c, f.Mailbox)
		if err == nil && (!again.OAuth() || again.OAuthProvider != f.Provider || again.OAuthUser != f.Account) {
			err = tickets.ErrNotFound // removed, or signed in otherwise, since the sign-in started
		}
		if err != nil {
			s.fail(w, r, c, err)
			return
		}
		in.Again = &again
	}
	m, err := s.cfg.Mailboxes.SignedIn(r.Context(), in)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.log.InfoContext(r.Context(), "web: OAuth2 sign-in kept", slog.String("provider", f.Provider), slog.String("account", f.Account),
		slog.String("property", c.prop.Slug), slog.String("by", c.agent.Email))
	if f.New != nil {
		s.changed(w, r, c, "mailboxes", "notice_mailbox_added", m.String())
		return
	}
	s.changed(w, r, c, "mailboxes", "notice_signed_in_again", f.Account)
}

func (s *Server) openFlow(r *http.Request, value string, f *flow) error {
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return err
	}
	plain, err := s.flowKey().Open(sealed, flowAAD(r))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, f)
}

// firstLine is the first line of what a provider said, at most 200 bytes, cut between
// characters.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
