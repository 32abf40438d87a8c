package imapfetch_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
)

const sharedUser = "shared@acme.example"

// oauthIMAP is the stand-in's IMAP server (it checks the provider's bearer tokens; imapUser may
// open the shared mailbox too), behind a proxy the test can cut.
type oauthIMAP struct {
	*oauthtest.IMAP
	account
	proxy *proxy
}

func startOAuthIMAP(t testing.TB, fp *oauthtest.Provider, mechs ...string) *oauthIMAP {
	t.Helper()
	s := oauthtest.StartIMAP(t, fp, mechs, imapUser, sharedUser)
	s.Share(sharedUser, imapUser)
	px := startProxy(t, s.Addr())
	return &oauthIMAP{IMAP: s, account: account{host: "127.0.0.1", port: px.port(), tls: mailbox.TLSNone, user: imapUser, pass: oauthtest.IMAPPassword}, proxy: px}
}

// oauthFixture adds what an OAuth2 mailbox needs: the provider, the grant, the token sources.
type oauthFixture struct {
	*fixture
	fp      *oauthtest.Provider
	sources *oauth.Sources
	told    chan mailbox.Grant
}

func newOAuthFixture(t testing.TB, d *db.DB) *oauthFixture {
	f := newFixture(t, d)
	of := &oauthFixture{fixture: f, fp: oauthtest.Start(t), told: make(chan mailbox.Grant, 10)}
	secret, err := f.ts.Secret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.boxes = mailbox.NewStore(d, secret, mailbox.WithSignInNeeded(func(_ context.Context, _ *sqlx.Tx, g mailbox.Grant, _ []mailbox.Mailbox) error {
		of.told <- g
		return nil
	}, nil))
	ms := oauth.NewMicrosoft(oauth.MicrosoftConfig{ClientID: oauthtest.ClientID, Tenant: oauthtest.Tenant, Authority: of.fp.URL})
	of.sources = oauth.NewSources(oauth.Providers{oauth.Microsoft: ms}, f.boxes, nil, f.log)
	return of
}

func (f *oauthFixture) withOAuth() imapfetch.PollersOption {
	return imapfetch.WithOAuth(func(provider string, id int64) (imapfetch.TokenSource, error) {
		s, err := f.sources.For(provider, id)
		if err != nil {
			return nil, err
		}
		return s, nil
	})
}

// addOAuthMailbox signs imapUser in and adds the mailbox of user (theirs, or the shared one).
func (f *oauthFixture) addOAuthMailbox(t testing.TB, a account, user string) mailbox.Mailbox {
	return f.addOAuthMailboxAs(t, a, imapUser, user)
}

// addOAuthMailboxAs signs signIn in and adds the mailbox of user.
func (f *oauthFixture) addOAuthMailboxAs(t testing.TB, a account, signIn, user string) mailbox.Mailbox {
	t.Helper()
	ctx := context.Background()
	g, err := f.boxes.SaveGrant(ctx, oauth.Microsoft, signIn, f.fp.Grant(signIn))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.boxes.Add(ctx, mailbox.New{PropertyID: f.prop.ID, Host: a.host, Port: a.port, TLS: a.tls, Username: user, OAuth: true, GrantID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOAuthMailboxLogsInWithTheOfferedMechanism(t *testing.T) {
	for _, tc := range []struct {
		offered []string
		want    string
		user    string
	}{
		{[]string{"XOAUTH2"}, "XOAUTH2", imapUser},                    // Microsoft 365
		{[]string{"XOAUTH2", "OAUTHBEARER"}, "OAUTHBEARER", imapUser}, // Gmail
		{[]string{"XOAUTH2"}, "XOAUTH2", sharedUser},                  // a Microsoft 365 shared mailbox
		{[]string{"OAUTHBEARER"}, "OAUTHBEARER", sharedUser},
	} {
		t.Run(tc.want+" as "+tc.user, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				f := newOAuthFixture(t, d)
				srv := startOAuthIMAP(t, f.fp, tc.offered...)
				f.fp.Rotate = true
				m := f.addOAuthMailbox(t, srv.account, tc.user)
				_, stop := f.run(t, f.deliverer(), f.withOAuth())
				f.waitPolled(t, m.ID)
				box := srv.account
				box.user = tc.user
				box.appendMail(t, nil, "INBOX", mail("c1-1", "Printer on fire"), time.Now())
				waitFor(t, 10*time.Second, "the mail imported", func() bool { return f.messageCount(t) == 1 })
				stop()
				tried := srv.Attempts()
				if len(tried) != 1 || tried[0] != (oauthtest.Attempt{Mech: tc.want, User: tc.user, OK: true}) {
					t.Errorf("logins %+v, want one %s as %s", tried, tc.want, tc.user)
				}
				// The rotated refresh token was kept, and it works.
				rt, needed, err := f.boxes.OAuthToken(context.Background(), *m.GrantID)
				if err != nil || needed || !strings.HasPrefix(rt, "rt-") {
					t.Fatalf("grant: %v %v", needed, err)
				}
				if f.fp.Refreshes() != 1 {
					t.Errorf("%d refreshes, want 1", f.fp.Refreshes())
				}
			})
		})
	}
}

func TestOAuthMailboxRefreshesOnRefusalThenStopsWhenRevoked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOAuthFixture(t, d)
		srv := startOAuthIMAP(t, f.fp, "XOAUTH2")
		m := f.addOAuthMailbox(t, srv.account, imapUser)
		p, _ := f.run(t, f.deliverer(), f.withOAuth())
		f.waitPolled(t, m.ID)
		srv.appendMail(t, nil, "INBOX", mail("c1-1", "Printer on fire"), time.Now())
		waitFor(t, 10*time.Second, "the first mail", func() bool { return f.messageCount(t) == 1 })

		// The provider ends the access token early and the connection drops: the poller's token
		// is refused once, refreshed, and the next login works.
		f.fp.ExpireAccessTokens()
		srv.proxy.cut()
		waitFor(t, 10*time.Second, "a login after a refresh", func() bool { return len(srv.Attempts()) == 3 })
		if tried := srv.Attempts(); tried[1].OK || !tried[2].OK || f.fp.Refreshes() != 2 {
			t.Fatalf("logins %+v, %d refreshes", tried, f.fp.Refreshes())
		}
		srv.appendMail(t, nil, "INBOX", mail("c2-1", "Toner everywhere"), time.Now())
		waitFor(t, 10*time.Second, "the second mail", func() bool { return f.messageCount(t) == 2 })

		// The admin's consent is revoked: the refresh fails for good, the mailbox stops and
		// says why, the admins are told once, and the provider is not asked again.
		f.fp.Revoke()
		srv.proxy.cut()
		var g mailbox.Grant
		select {
		case g = <-f.told:
		case <-time.After(10 * time.Second):
			t.Fatal("the admins were not told")
		}
		if g.Username != imapUser || g.Provider != oauth.Microsoft {
			t.Errorf("told about %v", g)
		}
		waitFor(t, 10*time.Second, "the poller to stop", func() bool { return len(p.Running()) == 0 })
		asked, failed := f.fp.Refreshes(), srv.Failures()
		for range 3 {
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if f.fp.Refreshes() != asked || srv.Failures() != failed || len(p.Running()) != 0 {
			t.Errorf("after the stop: %d more refreshes, %d more logins, running %v", f.fp.Refreshes()-asked, srv.Failures()-failed, p.Running())
		}
		got := f.mailbox(t, m.ID)
		if got.SignInNeededAt == nil || !strings.Contains(got.LastError, "needs sign-in again") || !strings.Contains(got.LastError, "invalid_grant") {
			t.Errorf("mailbox: signin needed %v, last error %q", got.SignInNeededAt, got.LastError)
		}
		select {
		case g := <-f.told:
			t.Errorf("told twice (%v)", g)
		default:
		}

		// The admin signs in again: the mailbox is polled again.
		if _, err := f.boxes.SaveGrant(context.Background(), oauth.Microsoft, imapUser, f.fp.Grant(imapUser)); err != nil {
			t.Fatal(err)
		}
		srv.appendMail(t, nil, "INBOX", mail("c3-1", "Paper jam"), time.Now())
		waitFor(t, 10*time.Second, "the mail after the new sign-in", func() bool { return f.messageCount(t) == 3 })
	})
}

func TestOAuthCheckSaysWhatIsWrong(t *testing.T) {
	f := newOAuthFixture(t, dbtest.Open(t, dbtest.Engines()[0]))
	ctx := context.Background()
	t.Run("no mechanism", func(t *testing.T) {
		srv := startOAuthIMAP(t, f.fp, "PLAIN")
		_, err := imapfetch.Check(ctx, imapfetch.Account{Host: srv.host, Port: srv.port, TLS: srv.tls, Username: imapUser, Token: staticToken("x")}, "INBOX")
		if err == nil || !strings.Contains(err.Error(), "neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a refused token is tried twice, and not shown", func(t *testing.T) {
		srv := startOAuthIMAP(t, f.fp, "XOAUTH2")
		tok := staticToken("at-not-a-valid-token")
		_, err := imapfetch.Check(ctx, imapfetch.Account{Host: srv.host, Port: srv.port, TLS: srv.tls, Username: imapUser, Token: tok}, "INBOX")
		if err == nil || !strings.Contains(err.Error(), "XOAUTH2 refused") || strings.Contains(err.Error(), string(tok)) {
			t.Fatalf("err = %v", err)
		}
		if len(srv.Attempts()) != 2 {
			t.Errorf("%d attempts, want 2", len(srv.Attempts()))
		}
	})
	t.Run("sign-in needed", func(t *testing.T) {
		srv := startOAuthIMAP(t, f.fp, "XOAUTH2")
		_, err := imapfetch.Check(ctx, imapfetch.Account{Host: srv.host, Port: srv.port, TLS: srv.tls, Username: imapUser, Token: deadToken{}}, "INBOX")
		if !errors.Is(err, oauth.ErrSignInNeeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }
func (staticToken) Invalidate()                                   {}

type deadToken struct{}

func (deadToken) AccessToken(context.Context) (string, error) { return "", oauth.ErrSignInNeeded }
func (deadToken) Invalidate()                                 {}
