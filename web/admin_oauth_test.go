package web_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/dialguard"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
	"github.com/postdesk/postdesk/web"
	"github.com/postdesk/postdesk/webwire"
)

// refreshToken is the refresh token kept for provider:account ("" when there is none).
func (m *mailboxSite) refreshToken(t *testing.T, account string) string {
	t.Helper()
	g, err := m.boxes.FindGrant(context.Background(), "google", account)
	if errors.Is(err, mailbox.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	rt, _, err := m.boxes.OAuthToken(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func (m *mailboxSite) connectForm(b *browser, account string) map[string][]string {
	return b.form("provider", "google", "account", account, "folder", "INBOX", "after", "seen",
		"host", m.imap.Host, "port", strconv.Itoa(m.imap.Port), "tls", "none")
}

// Someone who names an account on Connect but signs in at the provider as another replaces no
// grant: the login with the new token is tried before the grant is kept, and the IMAP server
// refuses a token issued for another user. The same holds for Sign in again.
func TestAdminSignInAsAnotherAccountKeepsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMailboxSite(t, d)
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		kept, err := m.boxes.SaveGrant(ctx, "google", boxUser, m.fp.Grant(boxUser))
		if err != nil {
			t.Fatal(err)
		}
		before := m.refreshToken(t, boxUser)
		m.fp.SignInAs("mallory@evil.example")
		_, page, _ := ada.post("/p/acme/admin/mailboxes/connect", m.connectForm(ada, boxUser))
		code, page, _ := ada.get(m.consent(t, page))
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "refused the login") || !strings.Contains(page, "nothing was saved") {
			t.Fatalf("a sign-in as another account: %d\n%s", code, page)
		}
		if got := m.refreshToken(t, boxUser); got != before {
			t.Fatal("the account's grant was replaced by another account's sign-in")
		}
		if g, _ := m.boxes.FindGrant(ctx, "google", "mallory@evil.example"); g.ID != 0 {
			t.Errorf("a grant was kept for the account that signed in: %+v", g)
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); len(ms) != 0 {
			t.Fatalf("a mailbox was saved: %+v", ms)
		}
		if a := m.imap.Attempts(); len(a) == 0 || a[len(a)-1].OK || a[len(a)-1].User != boxUser {
			t.Fatalf("the IMAP logins: %+v", a)
		}

		// Signed in as the right account, the mailbox is added; when its grant needs sign-in
		// again, signing in as another account leaves it as it was.
		m.fp.SignInAs("")
		_, page, _ = ada.post("/p/acme/admin/mailboxes/connect", m.connectForm(ada, boxUser))
		if code, page, _ := ada.get(m.consent(t, page)); code != http.StatusSeeOther {
			t.Fatalf("connect: %d\n%s", code, page)
		}
		ms, _ := m.boxes.List(ctx, m.acme.ID)
		if len(ms) != 1 || *ms[0].GrantID != kept.ID {
			t.Fatalf("mailboxes: %+v", ms)
		}
		if err := m.boxes.OAuthSignInNeeded(ctx, kept.ID, "invalid_grant"); err != nil {
			t.Fatal(err)
		}
		before = m.refreshToken(t, boxUser)
		m.fp.SignInAs("mallory@evil.example")
		_, page, _ = ada.post("/p/acme/admin/mailboxes/"+strconv.FormatInt(ms[0].ID, 10)+"/signin", ada.form())
		if code, page, _ := ada.get(m.consent(t, page)); code != http.StatusUnprocessableEntity || !strings.Contains(page, "refused the login") {
			t.Fatalf("sign in again as another account: %d\n%s", code, page)
		}
		if g, _ := m.boxes.Grant(ctx, kept.ID); g.SignInNeededAt == nil || m.refreshToken(t, boxUser) != before {
			t.Fatalf("the grant changed: %+v", g)
		}
	})
}

// An admin cannot connect the relay's account, nor one whose grant opens another property's
// mailbox: refused before the provider, and again on the way back.
func TestAdminCannotConnectAnAccountUsedElsewhere(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		const relayUser, betaUser = "relay@acme.example", "beta@beta.example"
		m := newMailboxSiteWith(t, d, oauth.MicrosoftConfig{}, func(mb *webwire.Mailboxes) {
			mb.RelayProvider, mb.RelayUser = oauth.Google, relayUser
		})
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		g, err := m.boxes.SaveGrant(ctx, "google", betaUser, m.fp.Grant(betaUser))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.boxes.Add(ctx, mailbox.New{PropertyID: m.beta.ID, Host: m.imap.Host, Port: m.imap.Port, TLS: "none", Username: betaUser, OAuth: true, GrantID: g.ID}); err != nil {
			t.Fatal(err)
		}
		before := m.refreshToken(t, betaUser)
		for _, account := range []string{relayUser, "RELAY@acme.example", betaUser} {
			code, page, _ := ada.post("/p/acme/admin/mailboxes/connect", m.connectForm(ada, account))
			if code != http.StatusForbidden || !strings.Contains(page, "also the relay") || strings.Contains(page, `id="oauth-continue"`) {
				t.Errorf("connect %s: %d\n%s", account, code, page)
			}
		}
		// Nor sign it in again for acme's own mailbox of that account (the operator does).
		ours, err := m.boxes.Add(ctx, mailbox.New{PropertyID: m.acme.ID, Host: m.imap.Host, Port: m.imap.Port, TLS: "none", Username: betaUser, OAuth: true, GrantID: g.ID})
		if err != nil {
			t.Fatal(err)
		}
		if code, page, _ := ada.post("/p/acme/admin/mailboxes/"+strconv.FormatInt(ours.ID, 10)+"/signin", ada.form()); code != http.StatusForbidden || strings.Contains(page, `id="oauth-continue"`) {
			t.Errorf("sign in again an account another property uses: %d\n%s", code, page)
		}
		if err := m.boxes.Remove(ctx, m.acme.ID, ours.ID); err != nil {
			t.Fatal(err)
		}
		// An account that another property takes between the start and the return.
		const late = "late@acme.example"
		_, page, _ := ada.post("/p/acme/admin/mailboxes/connect", m.connectForm(ada, late))
		callback := m.consent(t, page)
		lg, err := m.boxes.SaveGrant(ctx, "google", late, m.fp.Grant(late))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.boxes.Add(ctx, mailbox.New{PropertyID: m.beta.ID, Host: m.imap.Host, Port: m.imap.Port, TLS: "none", Username: late, OAuth: true, GrantID: lg.ID}); err != nil {
			t.Fatal(err)
		}
		lateBefore := m.refreshToken(t, late)
		if code, page, _ := ada.get(callback); code != http.StatusForbidden || !strings.Contains(page, "also the relay") {
			t.Errorf("the callback of an account taken meanwhile: %d\n%s", code, page)
		}
		if m.refreshToken(t, betaUser) != before || m.refreshToken(t, late) != lateBefore || m.refreshToken(t, relayUser) != "" {
			t.Fatal("a grant used elsewhere was changed")
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); len(ms) != 0 {
			t.Fatalf("a mailbox was saved: %+v", ms)
		}
	})
}

// countingListener accepts and counts connections, greeting each with greeting.
func countingListener(t *testing.T, greeting string) (port int, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte(greeting))
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

// Mailboxes added from the web connect to public addresses only, unless admin_mailbox_hosts
// allows more: the address dialled is checked after resolution, so a name of 127.0.0.1 is
// refused as 127.0.0.1 is, and nothing connects.
func TestAdminMailboxesConnectToPublicAddressesOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMailboxSiteWith(t, d, oauth.MicrosoftConfig{}, func(mb *webwire.Mailboxes) { mb.Hosts = dialguard.Policy{} })
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		port, accepted := countingListener(t, "* OK IMAP4rev1 ready\r\n")
		for _, host := range []string{"127.0.0.1", "localhost", "::1"} {
			for _, check := range []string{"1", ""} {
				code, page, _ := ada.post("/p/acme/admin/mailboxes", ada.form("host", host, "port", strconv.Itoa(port), "tls", "none",
					"username", boxUser, "password", oauthtest.IMAPPassword, "check", check))
				if code != http.StatusUnprocessableEntity || !strings.Contains(page, "public address") {
					t.Errorf("%s (check %q): %d\n%s", host, check, code, page)
				}
			}
		}
		// Connect, on another IMAP server than the provider's.
		form := m.connectForm(ada, boxUser)
		form["port"] = []string{strconv.Itoa(port)}
		_, page, _ := ada.post("/p/acme/admin/mailboxes/connect", form)
		if code, page, _ := ada.get(m.consent(t, page)); code != http.StatusUnprocessableEntity || !strings.Contains(page, "public address") {
			t.Errorf("connect on 127.0.0.1: %d\n%s", code, page)
		}
		if n := accepted.Load(); n != 0 {
			t.Errorf("%d connections reached the loopback server", n)
		}
		if ms, _ := m.boxes.List(ctx, m.acme.ID); len(ms) != 0 {
			t.Fatalf("saved: %+v", ms)
		}
		if rt := m.refreshToken(t, boxUser); rt != "" {
			t.Fatal("the grant was kept")
		}
	})
}

// A mailbox that does not work is told by what failed, never with what the server said (the
// banner of whatever listens there), which goes to the log; a poll's last error too.
func TestAdminMailboxErrorsShowNoServerText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := newMailboxSite(t, d)
		ctx := context.Background()
		ada := m.as("ada@acme.example", "ada's password")
		port, accepted := countingListener(t, "SSH-2.0-secret-banner-text\r\n")
		code, page, _ := ada.post("/p/acme/admin/mailboxes", ada.form("host", "127.0.0.1", "port", strconv.Itoa(port), "tls", "none",
			"username", boxUser, "password", "p", "check", "1"))
		if code != http.StatusUnprocessableEntity || accepted.Load() != 1 || !strings.Contains(page, "No IMAP server could be reached there") || strings.Contains(page, "secret-banner") {
			t.Errorf("a server that is not IMAP: %d (%d connections)\n%s", code, accepted.Load(), page)
		}
		closed, _ := net.Listen("tcp", "127.0.0.1:0")
		closedPort := strconv.Itoa(closed.Addr().(*net.TCPAddr).Port)
		closed.Close()
		code, page, _ = ada.post("/p/acme/admin/mailboxes", ada.form("host", "127.0.0.1", "port", closedPort, "tls", "none",
			"username", boxUser, "password", "p", "check", "1"))
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "No IMAP server could be reached there") || strings.Contains(page, "refused") || strings.Contains(page, closedPort) {
			t.Errorf("a closed port: %d\n%s", code, page)
		}
		// A poll's error.
		box, err := m.boxes.Add(ctx, mailbox.New{PropertyID: m.acme.ID, Host: m.imap.Host, Port: m.imap.Port, TLS: "none", Username: boxUser, Password: oauthtest.IMAPPassword})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := m.boxes.Claim(ctx, box.ID, "test", time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := m.boxes.Polled(ctx, box.ID, "test", -1, errors.New("greeting: SSH-2.0-secret-poll-banner")); err != nil {
			t.Fatal(err)
		}
		_, page, _ = ada.get("/p/acme/admin/mailboxes")
		if !strings.Contains(page, `data-state="error"`) || !strings.Contains(page, "The last poll failed") || strings.Contains(page, "secret-poll-banner") {
			t.Errorf("the list of a failing mailbox:\n%s", page)
		}
	})
}

// The error page of a callback that matches no sign-in belongs to no property: it follows no
// property's live events (no /p//events).
func TestOAuthCallbackErrorPageFollowsNoEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		feed, err := live.Open(ctx, d, live.Config{Poll: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s := adminSite(t, d, func(c *web.Config) { c.Feed = webwire.Feed{F: feed} })
		ada := s.as("ada@acme.example", "ada's password")
		if _, page, _ := ada.get("/p/acme/"); !strings.Contains(page, `data-live="/p/acme/events"`) {
			t.Fatalf("the inbox follows no events:\n%s", page)
		}
		code, page, _ := ada.get("/admin/oauth/callback?state=nothing&code=x")
		if code != http.StatusBadRequest || strings.Contains(page, "data-live") {
			t.Errorf("the callback's error page: %d\n%s", code, page)
		}
	})
}
