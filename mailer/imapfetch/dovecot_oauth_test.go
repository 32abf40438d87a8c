package imapfetch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/oauth"
)

// startDovecotOAuth2 is startDovecot checking bearer tokens (XOAUTH2, OAUTHBEARER) with the
// token introspection endpoint at url (RFC 7662, POSTed as Dovecot's introspection_mode = post
// does), the passwords still working for the test's own sessions. Dovecot 2.3's format.
func startDovecotOAuth2(t *testing.T, url string) func(user string) account {
	t.Helper()
	dir, err := os.MkdirTemp("", "pd-oauth2-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	ext := filepath.Join(dir, "dovecot-oauth2.conf.ext")
	conf := fmt.Sprintf("introspection_url = %s\nintrospection_mode = post\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n", url)
	if err := os.WriteFile(ext, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return startDovecot(t, fmt.Sprintf(`
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = %s
}
`, ext))
}

func TestIMAPDovecotOAuth2(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOAuthFixture(t, d)
		const user = "oauth@acme.example"
		f.fp.User = user
		acct := startDovecotOAuth2(t, f.fp.IntrospectionURL())(user)

		// Our client mechanisms against Dovecot's server: a good token logs in, a bad one is
		// refused and leaves the connection usable.
		good, err := f.boxes.SaveGrant(context.Background(), oauth.Microsoft, "probe@acme.example", f.fp.Grant(user))
		if err != nil {
			t.Fatal(err)
		}
		src, _ := f.sources.For(oauth.Microsoft, good.ID)
		token, err := src.AccessToken(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
			c, err := imapclient.DialInsecure(acct.addr(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Caps().Has(imap.AuthCap(mech)) {
				t.Fatalf("dovecot does not offer %s: %v", mech, c.Caps())
			}
			client := func(tok string) error {
				if mech == "XOAUTH2" {
					return c.Authenticate(imapfetch.NewIMAPXOAuth2Client(user, tok))
				}
				return c.Authenticate(oauth.NewOAuthBearerClient(user, tok, acct.host, acct.port))
			}
			var ie *imap.Error
			if err := client("at-forged"); !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo {
				t.Fatalf("%s with a forged token: %v", mech, err)
			}
			if err := client(token); err != nil {
				t.Fatalf("%s after a refusal, with a good token: %v", mech, err)
			}
			c.Close()
		}

		// The poller, through a proxy the test can cut.
		px := startProxy(t, acct.addr())
		viaProxy := acct
		viaProxy.port = px.port()
		m := f.addOAuthMailboxAs(t, viaProxy, user, user)
		p, _ := f.run(t, f.deliverer(), f.withOAuth())
		f.waitPolled(t, m.ID)
		acct.appendMail(t, nil, "INBOX", mail("d1-1", "Printer on fire"), time.Now())
		waitFor(t, 30*time.Second, "the mail through Dovecot", func() bool { return f.messageCount(t) == 1 })

		// Revoked: Dovecot's introspection says inactive, the refresh fails for good, the
		// mailbox stops.
		f.fp.Revoke()
		px.cut()
		select {
		case <-f.told:
		case <-time.After(30 * time.Second):
			t.Fatal("the admins were not told")
		}
		waitFor(t, 10*time.Second, "the poller to stop", func() bool { return len(p.Running()) == 0 })
		if got := f.mailbox(t, m.ID); got.SignInNeededAt == nil || !strings.Contains(got.LastError, "invalid_grant") {
			t.Errorf("mailbox: %v %q", got.SignInNeededAt, got.LastError)
		}
	})
}
