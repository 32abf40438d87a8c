package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/dialguard"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
	"github.com/postdesk/postdesk/web"
	"github.com/postdesk/postdesk/webwire"
)

// mailboxSite is the admin site with real mailboxes: the mailbox store on the test database,
// the stand-in for Google and Microsoft, and its IMAP server with the account support@acme.example.
type mailboxSite struct {
	*site
	boxes *mailbox.Store
	fp    *oauthtest.Provider
	imap  *oauthtest.IMAP
}

const (
	boxUser   = "support@acme.example"
	sharedBox = "help@acme.example" // a Microsoft 365 shared mailbox support@ may open
)

func newMailboxSite(t *testing.T, d *db.DB) *mailboxSite {
	return newMailboxSiteWith(t, d, oauth.MicrosoftConfig{}, nil)
}

// newMailboxSiteWith is newMailboxSite with Microsoft's app ms (none when its client id is ""),
// and the Mailboxes changed by with. The test servers are on 127.0.0.1, which the admin pages may
// use only when admin_mailbox_hosts allows it: it does, unless with says otherwise.
func newMailboxSiteWith(t *testing.T, d *db.DB, ms oauth.MicrosoftConfig, with func(*webwire.Mailboxes)) *mailboxSite {
	t.Helper()
	fp := oauthtest.Start(t)
	if ms.ClientID != "" {
		ms.Authority = fp.URL
	}
	m := &mailboxSite{fp: fp, imap: oauthtest.StartIMAP(t, fp, []string{"XOAUTH2", "OAUTHBEARER"}, boxUser, sharedBox)}
	local, err := dialguard.Parse("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	m.site = adminSite(t, d, func(c *web.Config) {
		m.boxes = mailbox.NewStore(d, c.Secret)
		// The stand-in sends the browser back to 127.0.0.1 only: the test takes the redirect
		// to the site's own address.
		c.BaseURL = "http://127.0.0.1:1"
		mbs := webwire.Mailboxes{Boxes: m.boxes, Hosts: local, OAuth: oauth.Providers{
			oauth.Google: oauth.NewGoogle(oauth.GoogleConfig{ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret, AuthURL: fp.GoogleAuthURL(), TokenURL: fp.GoogleTokenURL()}),
			// Not configured unless ms is: no button.
			oauth.Microsoft: oauth.NewMicrosoft(ms),
		}}
		if with != nil {
			with(&mbs)
		}
		c.Mailboxes = mbs
	})
	return m
}

var continueURL = regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`)

// consent follows the page that goes on to the provider, as the browser would: the provider
// consents at once and sends the browser back; it returns the callback's path and query.
func (m *mailboxSite) consent(t *testing.T, page string) string {
	t.Helper()
	u := continueURL.FindStringSubmatch(page)
	if u == nil {
		t.Fatalf("no way on to the provider:\n%s", page)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(html.UnescapeString(u[1]))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := res.Location()
	if err != nil || back.Host != "127.0.0.1:1" || back.Path != "/admin/oauth/callback" {
		t.Fatalf("the provider sends the browser to %v (%v)", back, err)
	}
	return back.RequestURI()
}

// A password mailbox is added after a login that works (one that does not is not saved), then
// paused, resumed and removed after a confirmation.
func TestAdminAddsAPasswordMailboxAndPausesIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMailboxSite(t, d)
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		_, page, _ := ada.get("/p/acme/admin/mailboxes")
		if !strings.Contains(page, `id="connect-google"`) || strings.Contains(page, `id="connect-microsoft"`) || !strings.Contains(page, `id="add-mailbox"`) {
			t.Fatalf("the mailboxes page:\n%s", page)
		}
		form := func(password string) url.Values {
			return ada.form("host", m.imap.Host, "port", strconv.Itoa(m.imap.Port), "tls", "none", "username", boxUser, "password", password,
				"folder", "INBOX", "after", "move", "move_to", "Imported", "check", "1")
		}
		if code, page, _ := ada.post("/p/acme/admin/mailboxes", form("wrong")); code != http.StatusUnprocessableEntity || !strings.Contains(page, "nothing was saved") {
			t.Fatalf("a wrong password: %d\n%s", code, page)
		}
		if code, _, _ := ada.post("/p/acme/admin/mailboxes", ada.form("host", "imap.example", "tls", "sometimes", "username", "u", "password", "p")); code != http.StatusUnprocessableEntity {
			t.Fatalf("a bad TLS mode: %d", code)
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); len(ms) != 0 {
			t.Fatalf("saved: %+v", ms)
		}
		if code, page, _ := ada.post("/p/acme/admin/mailboxes", form(oauthtest.IMAPPassword)); code != http.StatusSeeOther {
			t.Fatalf("add: %d\n%s", code, page)
		}
		ms, err := m.boxes.List(ctx, m.acme.ID)
		if err != nil || len(ms) != 1 || ms[0].AfterAction != "move:Imported" || ms[0].OAuth() {
			t.Fatalf("mailboxes: %+v %v", ms, err)
		}
		id := strconv.FormatInt(ms[0].ID, 10)
		if _, page, _ := ada.get("/p/acme/admin/mailboxes"); !strings.Contains(page, `data-state="new"`) || strings.Contains(page, oauthtest.IMAPPassword) {
			t.Fatalf("the list:\n%s", page)
		}
		if code, _, _ := ada.post("/p/acme/admin/mailboxes/"+id+"/pause", ada.form()); code != http.StatusSeeOther {
			t.Fatalf("pause: %d", code)
		}
		if _, page, _ := ada.get("/p/acme/admin/mailboxes"); !strings.Contains(page, `data-state="paused"`) || !strings.Contains(page, `class="resume"`) {
			t.Fatalf("paused:\n%s", page)
		}
		if code, _, _ := ada.post("/p/acme/admin/mailboxes/"+id+"/resume", ada.form()); code != http.StatusSeeOther {
			t.Fatalf("resume: %d", code)
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); ms[0].Paused {
			t.Fatal("still paused")
		}
		// Acme's admin does not reach beta's mailbox through acme's pages.
		theirs, err := m.boxes.Add(ctx, mailbox.New{PropertyID: m.beta.ID, Host: m.imap.Host, Port: m.imap.Port, TLS: "none", Username: sharedBox, Password: oauthtest.IMAPPassword})
		if err != nil {
			t.Fatal(err)
		}
		other := strconv.FormatInt(theirs.ID, 10)
		for _, change := range []string{"pause", "signin", "remove"} {
			if code, _, _ := ada.post("/p/acme/admin/mailboxes/"+other+"/"+change, ada.form("confirm", "1")); code != http.StatusNotFound {
				t.Errorf("%s beta's mailbox from acme: %d", change, code)
			}
		}
		if bs, _ := m.boxes.List(ctx, m.beta.ID); len(bs) != 1 || bs[0].Paused {
			t.Errorf("beta's mailbox was changed from acme: %+v", bs)
		}
		if code, page, _ := ada.post("/p/acme/admin/mailboxes/"+id+"/remove", ada.form()); code != http.StatusOK || !strings.Contains(page, `id="confirm-form"`) {
			t.Fatalf("the confirmation: %d", code)
		}
		if code, _, _ := ada.post("/p/acme/admin/mailboxes/"+id+"/remove", ada.form("confirm", "1")); code != http.StatusSeeOther {
			t.Fatalf("remove: %d", code)
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); len(ms) != 0 {
			t.Fatalf("not removed: %+v", ms)
		}
	})
}

// "Connect Google": the authorization-code flow with PKCE, redirected to postdesk itself; the
// state is bound to the admin's session and used once; the grant is sealed and the mailbox
// added after a login with it. When the grant needs sign-in again, "Sign in again" renews it.
func TestAdminConnectsAGoogleMailbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMailboxSite(t, d)
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		connect := ada.form("provider", "google", "account", boxUser, "folder", "INBOX", "after", "seen",
			"host", m.imap.Host, "port", strconv.Itoa(m.imap.Port), "tls", "none")
		if code, _, _ := ada.post("/p/acme/admin/mailboxes/connect", ada.form("provider", "microsoft", "account", boxUser)); code != http.StatusBadRequest {
			t.Errorf("a provider without an app: %d", code)
		}
		code, page, _ := ada.post("/p/acme/admin/mailboxes/connect", connect)
		if code != http.StatusOK || !strings.Contains(page, `id="oauth-continue"`) {
			t.Fatalf("connect: %d\n%s", code, page)
		}
		callback := m.consent(t, page)
		if !strings.Contains(callback, "state=") || !strings.Contains(callback, "code=") {
			t.Fatalf("callback %s", callback)
		}
		// Another agent's session, or a forged state, is refused.
		olga := m.as("olga@acme.example", "olga's password")
		if code, _, _ := olga.get(callback); code != http.StatusBadRequest {
			t.Errorf("the callback in another session: %d", code)
		}
		forged := regexp.MustCompile(`state=[^&]+`).ReplaceAllString(callback, "state=forged")
		if code, _, _ := ada.get(forged); code != http.StatusBadRequest {
			t.Errorf("a forged state: %d", code)
		}
		// That cleared the flow: it is used once. Start again.
		_, page, _ = ada.post("/p/acme/admin/mailboxes/connect", connect)
		callback = m.consent(t, page)
		code, page, h := ada.get(callback)
		if code != http.StatusSeeOther || h.Get("Location") != "/p/acme/admin/mailboxes" {
			t.Fatalf("the callback: %d %q\n%s", code, h.Get("Location"), page)
		}
		if code, _, _ := ada.get(callback); code != http.StatusBadRequest {
			t.Errorf("the callback used twice: %d", code)
		}
		ms, err := m.boxes.List(ctx, m.acme.ID)
		if err != nil || len(ms) != 1 || !ms[0].OAuth() || ms[0].OAuthProvider != "google" || ms[0].OAuthUser != boxUser {
			t.Fatalf("mailboxes: %+v %v", ms, err)
		}
		if a := m.imap.Attempts(); len(a) == 0 || !a[len(a)-1].OK || a[len(a)-1].User != boxUser {
			t.Fatalf("the login before saving: %+v", a)
		}
		g, err := m.boxes.FindGrant(ctx, "google", boxUser)
		if err != nil {
			t.Fatal(err)
		}
		for _, rt := range m.fp.RefreshTokens() {
			if strings.Contains(string(g.Secret), rt) {
				t.Fatal("the refresh token is stored in the clear")
			}
		}
		_, page, _ = ada.get("/p/acme/admin/mailboxes")
		for _, tok := range m.fp.Issued() {
			if strings.Contains(page, tok) {
				t.Fatal("a token shows on the page")
			}
		}
		// The grant stops working: the page says so and signs in again.
		if err := m.boxes.OAuthSignInNeeded(ctx, g.ID, "invalid_grant"); err != nil {
			t.Fatal(err)
		}
		_, page, _ = ada.get("/p/acme/admin/mailboxes")
		if !strings.Contains(page, `data-state="signin"`) || !strings.Contains(page, "needs sign-in again") {
			t.Fatalf("the page of a grant needing sign-in:\n%s", page)
		}
		code, page, _ = ada.post("/p/acme/admin/mailboxes/"+strconv.FormatInt(ms[0].ID, 10)+"/signin", ada.form())
		if code != http.StatusOK {
			t.Fatalf("sign in again: %d", code)
		}
		if code, _, _ := ada.get(m.consent(t, page)); code != http.StatusSeeOther {
			t.Fatalf("the callback: %d", code)
		}
		if g, err := m.boxes.FindGrant(ctx, "google", boxUser); err != nil || g.SignInNeededAt != nil {
			t.Fatalf("the grant after signing in again: %+v %v", g, err)
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); len(ms) != 1 {
			t.Fatalf("signing in again added a mailbox: %+v", ms)
		}
		if _, page, _ := ada.get("/p/acme/admin/mailboxes"); !strings.Contains(page, "is signed in again") {
			t.Errorf("the notice:\n%s", page)
		}
	})
}

// "Connect Microsoft 365" is the same flow with the app's web redirect URI; a shared mailbox is
// ACCOUNT\SHARED: the account signs in, IMAP opens the shared mailbox with its token.
func TestAdminConnectsAMicrosoftSharedMailbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMailboxSiteWith(t, d, oauth.MicrosoftConfig{ClientID: oauthtest.ClientID, Tenant: oauthtest.Tenant}, nil)
		m.imap.Share(sharedBox, boxUser)
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		if _, page, _ := ada.get("/p/acme/admin/mailboxes"); !strings.Contains(page, `id="connect-microsoft"`) {
			t.Fatalf("no Connect Microsoft 365 button:\n%s", page)
		}
		_, page, _ := ada.post("/p/acme/admin/mailboxes/connect", ada.form("provider", "microsoft", "account", boxUser+`\`+sharedBox,
			"host", m.imap.Host, "port", strconv.Itoa(m.imap.Port), "tls", "none", "after", "seen"))
		if code, page, _ := ada.get(m.consent(t, page)); code != http.StatusSeeOther {
			t.Fatalf("the callback: %d\n%s", code, page)
		}
		ms, err := m.boxes.List(ctx, m.acme.ID)
		if err != nil || len(ms) != 1 || ms[0].Username != sharedBox || ms[0].OAuthUser != boxUser || ms[0].OAuthProvider != "microsoft" {
			t.Fatalf("mailboxes: %+v %v", ms, err)
		}
		if a := m.imap.Attempts(); len(a) == 0 || a[len(a)-1] != (oauthtest.Attempt{Mech: a[len(a)-1].Mech, User: sharedBox, OK: true}) {
			t.Fatalf("the IMAP logins: %+v", a)
		}
	})
}
