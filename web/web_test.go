package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
	"github.com/postdesk/postdesk/web"
)

// memAuth is the web's Auth interface over the store's agents, with passwords and sessions in
// memory: what the auth package does in the database, reduced to what these page tests need
// (the auth package has its own tests; cmd/postdesk's browser tests run the real one).
type memAuth struct {
	store    *tickets.Store
	mu       sync.Mutex
	password map[string]string // email → password
	sessions map[string]web.Session
	links    map[string]string // token → email
}

func (a *memAuth) memberships(ctx context.Context, email string) (int64, web.Session, error) {
	ps, err := a.store.AgentProperties(ctx, email)
	if err != nil {
		return 0, web.Session{}, err
	}
	if len(ps) == 0 {
		return 0, web.Session{}, web.ErrUnknownAgent
	}
	s := web.Session{Email: email}
	for _, p := range ps {
		ag, err := a.store.AgentByEmail(ctx, p.ID, email)
		if err != nil {
			return 0, s, err
		}
		s.AgentID, s.Name = ag.ID, ag.Name
		s.Memberships = append(s.Memberships, web.Membership{PropertyID: p.ID, Slug: p.Slug, Name: p.Name, Role: ag.Role})
	}
	return s.AgentID, s, nil
}

func (a *memAuth) CheckPassword(ctx context.Context, email, password, _ string) (int64, error) {
	a.mu.Lock()
	ok := a.password[email] == password && password != ""
	a.mu.Unlock()
	if !ok {
		return 0, web.ErrBadCredentials
	}
	id, _, err := a.memberships(ctx, email)
	return id, err
}

func (a *memAuth) NewLink(ctx context.Context, email, _ string) (string, string, string, error) {
	_, s, err := a.memberships(ctx, email)
	if err != nil {
		return "", "", "", err
	}
	tok := random()
	a.mu.Lock()
	a.links[tok] = email
	a.mu.Unlock()
	return tok, email, s.Name, nil
}

func (a *memAuth) UseLink(ctx context.Context, token string) (int64, error) {
	a.mu.Lock()
	email, ok := a.links[token]
	delete(a.links, token)
	a.mu.Unlock()
	if !ok {
		return 0, web.ErrBadLink
	}
	id, _, err := a.memberships(ctx, email)
	return id, err
}

func (a *memAuth) NewSession(ctx context.Context, agentID int64, _ string) (string, web.Session, error) {
	var email string
	if err := a.store.DB().GetContext(ctx, &email, a.store.DB().Rebind(`SELECT email FROM agents WHERE id = ?`), agentID); err != nil {
		return "", web.Session{}, err
	}
	_, s, err := a.memberships(ctx, email)
	if err != nil {
		return "", s, err
	}
	s.CSRF = random()
	c := random()
	a.mu.Lock()
	a.sessions[c] = s
	a.mu.Unlock()
	return c, s, nil
}

func (a *memAuth) Session(_ context.Context, cookie string) (web.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[cookie]
	if !ok {
		return s, web.ErrNoSession
	}
	return s, nil
}

func (a *memAuth) EndSession(_ context.Context, cookie string) error {
	a.mu.Lock()
	delete(a.sessions, cookie)
	a.mu.Unlock()
	return nil
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// site is the web inbox over a real database: acme with alice (support) and mo (manager), beta
// with its own agent, and a customer's mail on each.
type site struct {
	t          *testing.T
	store      *tickets.Store
	clock      *testclock.Clock
	srv        *httptest.Server
	acme, beta tickets.Property
	secret     []byte
	lastID     string // the Message-ID of the last mail delivered
	auth       *memAuth
}

func newSite(t *testing.T, d *db.DB) *site { return newSiteWith(t, d, nil) }

// newSiteWith is newSite with the web's configuration adjusted by with.
func newSiteWith(t *testing.T, d *db.DB, with func(*web.Config)) *site {
	t.Helper()
	ctx := context.Background()
	clk := testclock.New(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	st := tickets.New(d, tickets.WithClock(clk.Now))
	s := &site{t: t, store: st, clock: clk}
	var err error
	if s.acme, err = st.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if s.beta, err = st.CreateProperty(ctx, tickets.NewProperty{Slug: "beta", Name: "Beta", FromAddress: "help@beta.example"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		p           tickets.Property
		email, role string
	}{{s.acme, "alice@acme.example", "support"}, {s.acme, "mo@acme.example", "manager"}, {s.beta, "bea@beta.example", "owner"}} {
		if _, err := st.AddAgent(ctx, a.p.ID, a.email, strings.Split(a.email, "@")[0], a.role); err != nil {
			t.Fatal(err)
		}
	}
	if s.secret, err = st.Secret(ctx); err != nil {
		t.Fatal(err)
	}
	au := &memAuth{store: st, password: map[string]string{"alice@acme.example": "correct horse", "mo@acme.example": "battery staple"},
		sessions: map[string]web.Session{}, links: map[string]string{}}
	s.auth = au
	cfg := web.Config{Store: st, Auth: au, Domain: "desk.example", Secret: s.secret, Now: clk.Now, BaseURL: "http://desk.test"}
	if with != nil {
		with(&cfg)
	}
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) mail(p tickets.Property, from, subject, text, html string, inReplyTo ...string) tickets.Delivery {
	s.t.Helper()
	to := p.FromAddress
	s.lastID = random() + "@customer.example"
	d, err := s.store.Deliver(context.Background(), p, s.secret, tickets.Inbound{
		From: tickets.Address{Email: from, Name: "Carol Customer"}, To: []tickets.Address{{Email: to}}, Subject: subject,
		MessageID: s.lastID, InReplyTo: inReplyTo, Text: text, HTML: html, Kind: "human",
		Raw: []byte("Subject: " + subject + "\r\n\r\n" + text),
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// browser is a client with a cookie jar that does not follow redirects, so a test sees them.
type browser struct {
	t    *testing.T
	s    *site
	c    *http.Client
	csrf string
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.Get(b.s.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return res.StatusCode, string(body), res.Header
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.srv.URL)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

// signIn signs in by the form of the sign-in page, as a person would.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	code, page, _ := b.get("/")
	if code != 200 || !strings.Contains(page, `name="email"`) || !strings.Contains(page, `name="password"`) {
		b.t.Fatalf("GET / signed out: %d, want the sign-in form:\n%s", code, page)
	}
	tok := tokenField.FindStringSubmatch(page)[1]
	code, _, h := b.post("/signin", url.Values{"email": {email}, "password": {password}, "token": {tok}})
	if code != http.StatusSeeOther || h.Get("Location") != "/p/acme/" {
		b.t.Fatalf("sign in: %d to %q", code, h.Get("Location"))
	}
}

func TestSignInListOpenReplyAndTheirChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		del := s.mail(s.acme, "carol@customer.example", "Where is my parcel?", "Hello, it has not arrived.", "")
		firstID := s.lastID
		other := s.mail(s.beta, "dan@customer.example", "Beta secret subject", "beta body", "")
		b := s.browser()
		// A wrong password is refused, on the same page.
		_, page, _ := b.get("/signin")
		tok := tokenField.FindStringSubmatch(page)[1]
		if code, page, _ := b.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {"wrong"}, "token": {tok}}); code != 401 || !strings.Contains(page, "Wrong email or password") {
			t.Fatalf("wrong password: %d\n%s", code, page)
		}
		// A sign-in form not served by us is refused.
		if code, _, _ := b.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {"correct horse"}, "token": {"forged"}}); code != 403 {
			t.Fatalf("forged form token: %d, want 403", code)
		}
		b.signIn("alice@acme.example", "correct horse")
		code, page, _ := b.get("/p/acme/")
		if code != 200 || !strings.Contains(page, "Where is my parcel?") || strings.Contains(page, "Beta secret subject") {
			t.Fatalf("inbox: %d\n%s", code, page)
		}
		if !strings.Contains(page, `class="row unread waiting"`) {
			t.Errorf("the new ticket should be unread and waiting:\n%s", page)
		}
		// Another property's anything is a 404, like something that does not exist.
		for _, path := range []string{"/p/beta/", fmt.Sprintf("/p/beta/t/%d", other.TicketNumber), "/p/nope/"} {
			if code, _, _ := b.get(path); code != 404 {
				t.Errorf("GET %s: %d, want 404", path, code)
			}
		}
		if code, page, _ := b.get(fmt.Sprintf("/p/acme/t/%d", other.TicketNumber)); other.TicketNumber != del.TicketNumber && (code != 404 || strings.Contains(page, "Beta secret")) {
			t.Errorf("beta's ticket number on acme: %d", code)
		}
		tpath := fmt.Sprintf("/p/acme/t/%d", del.TicketNumber)
		code, page, h := b.get(tpath)
		if code != 200 || !strings.Contains(page, "Hello, it has not arrived.") {
			t.Fatalf("ticket page: %d\n%s", code, page)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("page CSP: %q", csp)
		}
		seen := regexp.MustCompile(`name="seen" value="(\d+)"`).FindStringSubmatch(page)[1]
		// Opening it marked it read.
		if _, page, _ := b.get("/p/acme/"); strings.Contains(page, `class="row unread`) {
			t.Error("the ticket is still unread after it was opened")
		}
		// A POST without the session's token is refused; so is one from another site.
		if code, _, _ := b.post(tpath+"/act", url.Values{"action": {"close"}}); code != 403 {
			t.Errorf("close without the CSRF token: %d, want 403", code)
		}
		req, _ := http.NewRequest("POST", s.srv.URL+tpath+"/act", strings.NewReader(url.Values{"action": {"close"}, "csrf": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res, err := b.c.Do(req); err != nil || res.StatusCode != 403 {
			t.Errorf("a cross-site POST: %v %v, want 403", res.StatusCode, err)
		}
		// The customer writes again while the agent reads: the reply is held, the page shows
		// what arrived, and sending anyway sends it.
		s.clock.Advance(time.Minute)
		s.mail(s.acme, "carol@customer.example", "Re: Where is my parcel?", "Also, I moved house.", "", firstID)
		code, page, _ = b.post(tpath+"/reply", url.Values{"csrf": {b.csrf}, "seen": {seen}, "text": {"It left today."}})
		if code != http.StatusConflict || !strings.Contains(page, "Also, I moved house.") || !strings.Contains(page, "It left today.") {
			t.Fatalf("reply after a new message: %d, want 409 with the new message and the draft\n%s", code, page)
		}
		code, _, _ = b.post(tpath+"/reply", url.Values{"csrf": {b.csrf}, "seen": {seen}, "text": {"It left today."}, "confirm": {"1"}})
		if code != http.StatusSeeOther {
			t.Fatalf("send anyway: %d", code)
		}
		dt, err := s.store.Detail(context.Background(), s.acme.ID, del.TicketNumber)
		if err != nil || dt.Messages[len(dt.Messages)-1].Text != "It left today." || dt.Messages[len(dt.Messages)-1].Direction != "out" {
			t.Fatalf("the reply is not on the ticket: %+v %v", dt.Messages, err)
		}
		// Close from the ticket page.
		if code, _, _ := b.post(tpath+"/act", url.Values{"csrf": {b.csrf}, "action": {"close"}}); code != http.StatusSeeOther {
			t.Fatalf("close: %d", code)
		}
		if _, page, _ := b.get("/p/acme/?view=closed"); !strings.Contains(page, "Where is my parcel?") {
			t.Error("the closed ticket is not in Closed")
		}
		// Sign out ends the session.
		if code, _, _ := b.post("/signout", url.Values{"csrf": {b.csrf}}); code != http.StatusSeeOther {
			t.Fatalf("sign out: %d", code)
		}
		if code, _, h := b.get("/p/acme/"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
			t.Errorf("after sign-out: %d %q", code, h.Get("Location"))
		}
	})
}

func TestHostileHTMLIsSanitisedAndFramed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		del := s.mail(s.acme, "carol@customer.example", "HTML", "text part",
			`<p>Hi</p><script>document.title="pwned"</script><img src="https://tracker.example/pixel.gif"><a href="javascript:alert(1)">x</a>`)
		b := s.browser()
		b.signIn("alice@acme.example", "correct horse")
		_, page, _ := b.get(fmt.Sprintf("/p/acme/t/%d", del.TicketNumber))
		m := regexp.MustCompile(`<iframe sandbox="" src="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no sandboxed frame for the HTML part:\n%s", page)
		}
		code, html, h := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
		if code != 200 || strings.Contains(html, "<script") || strings.Contains(html, "tracker.example") || strings.Contains(html, "javascript:") {
			t.Errorf("frame: %d\n%s", code, html)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("frame CSP %q", csp)
		}
	})
}

func TestBulkActionsAndPurgeConfirmation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		var nums []string
		for i := range 3 {
			nums = append(nums, fmt.Sprint(s.mail(s.acme, fmt.Sprintf("c%d@customer.example", i), fmt.Sprintf("Bulk %d", i), "x", "").TicketNumber))
		}
		b := s.browser()
		b.signIn("mo@acme.example", "battery staple")
		b.get("/p/acme/")
		if code, _, _ := b.post("/p/acme/bulk", url.Values{"csrf": {b.csrf}, "action": {"trash"}, "n": nums}); code != http.StatusSeeOther {
			t.Fatalf("bulk trash: %d", code)
		}
		_, page, _ := b.get("/p/acme/?view=trash")
		for i := range 3 {
			if !strings.Contains(page, fmt.Sprintf("Bulk %d", i)) {
				t.Errorf("Bulk %d is not in the trash", i)
			}
		}
		code, page, _ := b.post("/p/acme/bulk", url.Values{"csrf": {b.csrf}, "action": {"purge"}, "n": nums[:2]})
		if code != 200 || !strings.Contains(page, "Delete 2 ticket(s) for good") || !strings.Contains(page, "cannot be undone") {
			t.Fatalf("purge asks first: %d\n%s", code, page)
		}
		if code, _, _ := b.post("/p/acme/bulk", url.Values{"csrf": {b.csrf}, "action": {"purge"}, "n": nums[:2], "confirm": {"1"}}); code != http.StatusSeeOther {
			t.Fatalf("purge: %d", code)
		}
		_, page, _ = b.get("/p/acme/?view=trash")
		if strings.Contains(page, "Bulk 0") || strings.Contains(page, "Bulk 1") || !strings.Contains(page, "Bulk 2") {
			t.Errorf("after purging two:\n%s", page)
		}
	})
}

// The sign-in page is one form (email and password); asking for a link is a page of its own.
func TestSignInPageIsOneForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		b := s.browser()
		_, page, _ := b.get("/")
		if n := strings.Count(page, "<form"); n != 1 {
			t.Errorf("GET / has %d forms, want 1:\n%s", n, page)
		}
		_, page, _ = b.get("/signin/link")
		if !strings.Contains(page, `action="/signin/link"`) || strings.Contains(page, `name="password"`) {
			t.Errorf("the link page:\n%s", page)
		}
	})
}
